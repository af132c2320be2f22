"""Pages of people and places: behaviour, bad input, and exact query counts.

Query counts are pinned exactly and checked again after the data grows, so an N+1 shows up
as a failing number. A signed-in request costs 2 queries before the view runs (session,
user); the site frame costs 3 (Wagtail site, menu pages, footer site settings).
"""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, Membership, RoleAssignment
from accounts.roles import Role
from tests.accounts.factories import StationFactory, UserFactory


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


def _grow_city(city, superuser, n=5):
    """More of everything the pages list, to show the counts do not depend on it."""
    for i in range(n):
        StationFactory(community=city.north_a if i % 2 else city.north_b)
        user = UserFactory()
        services.role_assign(actor=superuser, user=user, role=Role.VOLUNTEER, region=city.north_a)


# --- Station directory (public) ---------------------------------------------------------


@pytest.mark.django_db
def test_station_list_filters_by_town_and_paginates(client, city, site):
    for _ in range(25):
        StationFactory(community=city.north_a)
    response = client.get(reverse("accounts:stations"), {"town": city.south.pk})
    assert response.status_code == 200
    assert "南一驿站" in response.text and "北一驿站" not in response.text
    page_two = client.get(reverse("accounts:stations"), {"page": 2})
    assert "Page 2 of 2" in page_two.text or "第 2 页" in page_two.text


@pytest.mark.django_db
def test_station_list_bad_filter_is_not_an_error(client, city, site):
    response = client.get(reverse("accounts:stations"), {"town": "not-a-town", "page": "x"})
    assert response.status_code == 200
    assert "北一驿站" in response.text


@pytest.mark.django_db
def test_station_list_htmx_returns_only_the_results(client, city, site):
    response = client.get(
        reverse("accounts:stations"), {"town": city.north.pk}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "北一驿站" in response.text


@pytest.mark.django_db
def test_station_list_empty_state(client, city, site):
    from accounts.models import Station

    Station.objects.update(is_active=False)
    response = client.get(reverse("accounts:stations"))
    assert "No stations here yet." in response.text or "暂无驿站" in response.text


@pytest.mark.django_db
def test_closed_station_is_not_found(client, city, site):
    station = city.station_north
    station.is_active = False
    station.save()
    assert client.get(reverse("accounts:station", args=[station.pk])).status_code == 404


@pytest.mark.django_db
def test_station_pages_query_counts(client, city, site, superuser, django_assert_num_queries):
    client.get(
        reverse("accounts:stations")
    )  # warm Wagtail's per-process caches (locales, content types)
    for grow in (False, True):
        if grow:
            _grow_city(city, superuser)
        # count, page of stations (with community and town), towns for the filter + frame 3
        with django_assert_num_queries(6):
            assert client.get(reverse("accounts:stations")).status_code == 200
        # station (with community and town) + frame 3
        with django_assert_num_queries(4):
            assert (
                client.get(reverse("accounts:station", args=[city.station_north.pk])).status_code
                == 200
            )


# --- Signed-in pages --------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_shows_roles_and_organisations(client, city, site, make_user):
    user = make_user(Role.STATION_STAFF, city.north_a, display_name="张丽华")
    org = services.organisation_create(
        actor=user, name="阳光社工", kind="social_organisation", region=city.north
    )
    client.force_login(user)
    response = client.get(reverse("accounts:dashboard"))
    assert (
        "张丽华" in response.text
        and org.name in response.text
        and city.north_a.name in response.text
    )
    assert reverse("accounts:workspace") in response.text


@pytest.mark.django_db
def test_dashboard_query_count(client, city, site, make_user, superuser, django_assert_num_queries):
    user = make_user(Role.STATION_STAFF, city.north_a)
    client.force_login(user)
    client.get(reverse("accounts:dashboard"))
    for grow in (False, True):
        if grow:
            for i in range(4):
                services.organisation_create(
                    actor=user, name=f"机构{i}", kind="company", region=city.north
                )
                services.role_assign(
                    actor=superuser,
                    user=user,
                    role=Role.VOLUNTEER,
                    region=[city.north_b, city.south, city.south_a, city.city][i],
                )
        # session, user, memberships, assignments, scopes + frame 3
        with django_assert_num_queries(8):
            client.get(reverse("accounts:dashboard"))


@pytest.mark.django_db
def test_profile_edit_saves_and_switches_language(client, site, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "王阿姨", "phone": "13800138000", "preferred_language": "en"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/en/")
    assert response.cookies["linli_language"].value == "en"
    user.refresh_from_db()
    assert user.display_name == "王阿姨" and str(user.phone) == "+8613800138000"


@pytest.mark.django_db
def test_profile_edit_bad_phone_keeps_input_and_says_why(client, site, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"display_name": "王阿姨", "phone": "12", "preferred_language": "xx"},
    )
    assert response.status_code == 400
    assert 'value="王阿姨"' in response.text
    assert 'value="12"' in response.text
    assert "errorlist" in response.text


@pytest.mark.django_db
def test_profile_query_count(client, site, make_user, django_assert_num_queries):
    client.force_login(make_user())
    client.get(reverse("accounts:profile"))
    with django_assert_num_queries(5):
        client.get(reverse("accounts:profile"))


# --- Organisations and invitations ------------------------------------------------------


@pytest.fixture
def org(city, make_user):
    admin = make_user(email="boss@example.org")
    return services.organisation_create(
        actor=admin, name="华信电子", kind="company", region=city.north
    )


@pytest.mark.django_db
def test_admin_invites_and_invitee_accepts(
    client, org, site, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    admin = org.memberships.get().user
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:organisation_invite", args=[org.pk]), {"email": "new@example.org"}
        )
    assert response.status_code == 302
    invitation = org.invitations.get()
    assert invitation.token in mailoutbox[0].body

    invitee = make_user(email="new@example.org")
    client.force_login(invitee)
    page = client.get(reverse("accounts:invitation", args=[invitation.token]))
    assert org.name in page.text
    response = client.post(reverse("accounts:invitation", args=[invitation.token]))
    assert response.status_code == 302
    assert Membership.objects.filter(organisation=org, user=invitee, is_admin=False).exists()


@pytest.mark.django_db
def test_invite_bad_email_and_duplicate_are_400_with_input_kept(client, org, site, english):
    admin = org.memberships.get().user
    client.force_login(admin)
    url = reverse("accounts:organisation_invite", args=[org.pk])
    bad = client.post(url, {"email": "not-an-email"})
    assert bad.status_code == 400 and 'value="not-an-email"' in bad.text
    client.post(url, {"email": "new@example.org"})
    again = client.post(url, {"email": "new@example.org"})
    assert again.status_code == 400 and "already waiting" in again.text


@pytest.mark.django_db
def test_accepting_someone_elses_invitation_is_a_clear_403(client, org, site, make_user, english):
    admin = org.memberships.get().user
    invitation = services.organisation_invite(
        actor=admin, organisation=org, email="new@example.org"
    )
    client.force_login(make_user(email="other@example.org"))
    page = client.get(reverse("accounts:invitation", args=[invitation.token]))
    assert page.status_code == 200 and "another email address" in page.text
    response = client.post(reverse("accounts:invitation", args=[invitation.token]))
    assert response.status_code == 403 and "another email address" in response.text


@pytest.mark.django_db
def test_unknown_invitation_is_404(client, site, make_user):
    client.force_login(make_user())
    assert client.get(reverse("accounts:invitation", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_organisation_page_query_count(client, org, site, make_user, django_assert_num_queries):
    admin = org.memberships.get().user
    client.force_login(admin)
    client.get(reverse("accounts:organisation", args=[org.pk]))
    for grow in (False, True):
        if grow:
            for i in range(4):
                Membership.objects.create(organisation=org, user=make_user())
                services.organisation_invite(
                    actor=admin, organisation=org, email=f"n{i}@example.org"
                )
        # session, user, organisation, members, invitations + frame 3
        with django_assert_num_queries(8):
            client.get(reverse("accounts:organisation", args=[org.pk]))


# --- Staff workspace --------------------------------------------------------------------


@pytest.mark.django_db
def test_workspace_lists_only_the_users_areas(client, city, site, make_user):
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    client.force_login(reviewer)
    response = client.get(reverse("accounts:workspace"))
    assert reverse("accounts:region", args=[city.north.pk]) in response.text
    assert reverse("accounts:region", args=[city.south.pk]) not in response.text
    region = client.get(reverse("accounts:region", args=[city.north.pk]))
    assert "北一驿站" in region.text and "南一驿站" not in region.text


@pytest.mark.django_db
def test_workspace_query_counts(
    client, city, site, superuser, make_user, django_assert_num_queries
):
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    client.force_login(reviewer)
    client.get(reverse("accounts:workspace"))
    for grow in (False, True):
        if grow:
            _grow_city(city, superuser)
        # session, user, scopes, regions, assignments + frame 3
        with django_assert_num_queries(8):
            client.get(reverse("accounts:workspace"))
        # session, user, scopes, region, children, stations, staff + frame 3
        with django_assert_num_queries(10):
            client.get(reverse("accounts:region", args=[city.north.pk]))


@pytest.mark.django_db
def test_audit_log_shows_only_the_scope(client, city, site, make_user, superuser):
    supervisor = make_user(Role.SUPERVISOR, city.north)
    north_event = AuditEvent.objects.filter(region=city.north_a).count()
    client.force_login(supervisor)
    response = client.get(reverse("accounts:audit"))
    assert response.status_code == 200
    staff_south = make_user(Role.STATION_STAFF, city.south_a)
    assert RoleAssignment.objects.filter(user=staff_south).exists()
    response = client.get(reverse("accounts:audit"), {"verb": "role."})
    assert "dg-s" not in response.text and city.south_a.name not in response.text
    assert north_event >= 0


@pytest.mark.django_db
def test_audit_log_query_count(client, city, site, superuser, make_user, django_assert_num_queries):
    supervisor = make_user(Role.SUPERVISOR, city.city)
    client.force_login(supervisor)
    client.get(reverse("accounts:audit"))
    for grow in (False, True):
        if grow:
            _grow_city(city, superuser, n=8)
        # session, user, scopes, count, page (with region and type) + frame 3
        with django_assert_num_queries(8):
            client.get(reverse("accounts:audit"))


@pytest.mark.django_db
def test_domain_error_page_is_translated(client, org, site, make_user, english):
    admin = org.memberships.get().user
    invitation = services.organisation_invite(
        actor=admin, organisation=org, email="new@example.org"
    )
    client.force_login(make_user(email="other@example.org"))
    response = client.post(
        reverse("accounts:invitation", args=[invitation.token]).replace("/en/", "/zh-hans/")
    )
    assert response.status_code == 403
    assert 'lang="zh-hans"' in response.text
    assert "此邀请发送给了另一个邮箱地址" in response.text


@pytest.mark.django_db
def test_login_lands_in_the_users_language(client, site, make_user):
    user = make_user(preferred_language="en")
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302 and response["Location"] == "/en/me/"
    assert response.cookies["linli_language"].value == "en"


@pytest.mark.django_db
def test_city_admin_gives_and_revokes_a_role_in_the_workspace(
    client, city, site, make_user, english
):
    admin = make_user(Role.CITY_ADMIN, city.city)
    newcomer = make_user(email="newcomer@example.org")
    client.force_login(admin)
    page = client.get(reverse("accounts:region", args=[city.north_a.pk]))
    assert "Give a role in this area" in page.text
    url = reverse("accounts:region_role_assign", args=[city.north_a.pk])
    response = client.post(
        url, {"email": "NEWCOMER@example.org", "role": Role.STATION_STAFF, "reason": "appointed"}
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.active().get(user=newcomer)
    assert AuditEvent.objects.filter(
        verb="role.assign", target_id=str(assignment.pk), reason="appointed"
    ).exists()
    # Twice: the page says why, keeps the input, and answers 400.
    again = client.post(
        url, {"email": "newcomer@example.org", "role": Role.STATION_STAFF, "reason": "again"}
    )
    assert (
        again.status_code == 400
        and "already holds this role" in again.text
        and 'value="again"' in again.text
    )
    unknown = client.post(
        url, {"email": "nobody@example.org", "role": Role.VOLUNTEER, "reason": "x"}
    )
    assert unknown.status_code == 400 and "Nobody has signed up" in unknown.text
    revoke = client.post(
        reverse("accounts:role_revoke", args=[assignment.pk]), {"region": city.north_a.pk}
    )
    assert revoke.status_code == 302 and revoke["Location"].endswith(
        f"/staff/regions/{city.north_a.pk}/"
    )
    assert not RoleAssignment.objects.active().filter(user=newcomer).exists()


@pytest.mark.django_db
def test_reviewer_sees_staff_but_no_role_controls(client, city, site, make_user, english):
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    client.force_login(reviewer)
    page = client.get(reverse("accounts:region", args=[city.north.pk]))
    assert page.status_code == 200 and "Give a role" not in page.text and "Revoke" not in page.text


@pytest.mark.django_db
def test_members_page_lets_an_admin_remove_and_a_member_leave(
    client, org, site, make_user, english
):
    admin = org.memberships.get().user
    member = make_user()
    membership = Membership.objects.create(organisation=org, user=member)
    client.force_login(member)
    page = client.get(reverse("accounts:organisation", args=[org.pk]))
    assert "Leave this organisation" in page.text and "Make administrator" not in page.text
    client.force_login(admin)
    response = client.post(reverse("accounts:membership_remove", args=[org.pk, membership.pk]))
    assert response.status_code == 302 and not Membership.objects.filter(pk=membership.pk).exists()
    # The last administrator trying to leave gets a clear 409, not a 500.
    own = org.memberships.get(user=admin)
    response = client.post(reverse("accounts:membership_remove", args=[org.pk, own.pk]))
    assert response.status_code == 409 and "at least one administrator" in response.text
