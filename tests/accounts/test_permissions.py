"""Roles reach their region and everything below it, in one query per request."""

import pytest

from accounts.models import Region, Station
from accounts.permissions import has_perm, region_q, scope_paths
from accounts.roles import ROLE_PERMS, Perm, Role
from accounts.selectors import access_region


@pytest.mark.django_db
def test_town_role_covers_town_and_its_communities_only(city, make_user):
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    assert has_perm(reviewer, Perm.WISH_REVIEW, city.north)
    assert has_perm(reviewer, Perm.WISH_REVIEW, city.north_a)
    assert not has_perm(reviewer, Perm.WISH_REVIEW, city.south)
    assert not has_perm(reviewer, Perm.WISH_REVIEW, city.south_a)
    assert not has_perm(reviewer, Perm.WISH_REVIEW, city.city)  # not upwards


@pytest.mark.django_db
def test_role_grants_only_its_own_permissions(city, make_user):
    volunteer = make_user(Role.VOLUNTEER, city.city)
    supervisor = make_user(Role.SUPERVISOR, city.city)
    assert has_perm(volunteer, Perm.SHIFT_SIGNUP, city.north_a)
    assert not has_perm(volunteer, Perm.WORKSPACE_VIEW, city.north_a)
    assert has_perm(supervisor, Perm.AUDIT_VIEW, city.south_a)
    # A supervisor reads; it never decides.
    for perm in (Perm.WISH_REVIEW, Perm.ROLE_ASSIGN, Perm.FUND_MANAGE, Perm.DELIVERY_LOG):
        assert not has_perm(supervisor, perm, city.south_a)


def test_supervisor_and_volunteer_roles_hold_no_write_permission():
    writes = {
        Perm.WISH_REVIEW,
        Perm.WISH_VERIFY,
        Perm.ROLE_ASSIGN,
        Perm.FUND_MANAGE,
        Perm.DELIVERY_LOG,
    }
    assert not ROLE_PERMS[Role.SUPERVISOR] & writes
    assert not ROLE_PERMS[Role.VOLUNTEER] & writes


@pytest.mark.django_db
def test_anonymous_inactive_and_roleless_users_have_nothing(city, make_user, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not has_perm(AnonymousUser(), Perm.WORKSPACE_VIEW, city.city)
    plain = make_user()
    assert not has_perm(plain, Perm.WORKSPACE_VIEW, city.north_a)
    inactive = make_user(Role.CITY_ADMIN, city.city, is_active=False)
    assert not has_perm(inactive, Perm.WORKSPACE_VIEW, city.north_a)


@pytest.mark.django_db
def test_revoked_role_no_longer_counts(city, make_user, superuser):
    from accounts import services

    staff = make_user(Role.STATION_STAFF, city.north_a)
    assignment = staff.role_assignments.get()
    services.role_revoke(actor=superuser, assignment=assignment, reason="moved away")
    assert not has_perm(staff, Perm.WISH_VERIFY, city.north_a)


@pytest.mark.django_db
def test_checks_cost_one_query_however_many(
    city, make_user, django_assert_num_queries, django_user_model
):
    user = make_user(Role.STATION_STAFF, city.north_a)
    user = django_user_model.objects.get(pk=user.pk)  # fresh object, nothing cached
    regions = list(Region.objects.all())
    with django_assert_num_queries(1):
        results = [has_perm(user, perm, r) for r in regions for perm in Perm]
    assert any(results) and not all(results)


@pytest.mark.django_db
def test_region_q_filters_rows_to_the_scope(city, make_user):
    staff = make_user(Role.STATION_STAFF, city.north)
    staff.role_assignments.create(
        role=Role.STATION_STAFF, region=city.north_a
    )  # nested, folded away
    assert scope_paths(staff, Perm.WORKSPACE_VIEW) == [city.north.path]
    stations = Station.objects.filter(region_q(staff, Perm.WORKSPACE_VIEW, field="community"))
    assert list(stations) == [city.station_north]
    assert not Station.objects.filter(
        region_q(make_user(), Perm.WORKSPACE_VIEW, field="community")
    ).exists()


@pytest.mark.django_db
def test_access_region_is_404_outside_the_scope(city, make_user):
    from django.http import Http404

    staff = make_user(Role.STATION_STAFF, city.north_a)
    assert access_region(staff, city.north_a.pk) == city.north_a
    for other in (city.north_b, city.south, city.city):
        with pytest.raises(Http404):
            access_region(staff, other.pk)
    with pytest.raises(Http404):
        access_region(staff, 999999)
