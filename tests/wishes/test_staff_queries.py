"""Exact query counts of the staff wish pages, pinned and checked again after the data
grows, so an N+1 shows up as a failing number.

A signed-in request costs 2 queries before the view runs (session, user), the user's roles
1 more (read once per request and cached on the user), and the site frame 3 (Wagtail site,
menu pages, footer settings).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from tests.accounts.factories import StationFactory, UserFactory
from tests.wishes.factories import make_household, make_wish
from wishes import services
from wishes.models import Status, Wish
from wishes.need_index import DEFAULT_WEIGHTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


def test_queue_query_count(client, city, people, site, django_assert_num_queries):
    for _ in range(3):
        make_wish(people.north_staff, city.north_a)

    def grow():
        for i in range(10):
            wish = make_wish(people.north_staff, city.north_a, urgency="normal")
            if i % 2:
                Wish.objects.filter(pk=wish.pk).update(
                    due_on=timezone.localdate() - timedelta(days=1)
                )

    client.force_login(people.north_reviewer)
    # session, user, roles, towns and communities in scope, count, page + frame 3
    url = reverse("wishes:queue") + "?overdue=&sort=deadline"
    _assert_constant(client, url, 9, grow, django_assert_num_queries)


def test_export_query_count(client, city, people, site, django_assert_num_queries):
    for _ in range(3):
        make_wish(people.north_staff, city.north_a)

    def grow():
        for _ in range(10):
            make_wish(people.north_staff, city.north_a)

    client.force_login(people.north_reviewer)
    # session, user, roles, regions in scope, the rows (with households), the audit
    # entry's region, the audit entry; no frame
    _assert_constant(client, reverse("wishes:export"), 7, grow, django_assert_num_queries)


def test_detail_query_count_for_a_reviewer(client, city, people, site, django_assert_num_queries):
    household = make_household(city.north_a, people.north_staff)
    wish = make_wish(people.north_staff, city.north_a, household=household, status=Status.VERIFIED)
    other_station = StationFactory(community=city.north_b)

    def grow():
        for _ in range(3):
            make_wish(people.north_staff, city.north_a, household=household)
            services.aid_record(
                actor=people.north_staff,
                household=household,
                received_on=timezone.localdate(),
                value=Decimal("100"),
                source="charity",
                description="米面油",
            )
        for to in (other_station, city.station_north, other_station, city.station_north):
            services.wish_refer(actor=people.north_reviewer, wish=wish, to_station=to, reason="转")
        StationFactory(community=city.south_a)

    client.force_login(people.north_reviewer)
    # session, user, roles, wish, needs, household + other wishes + aid (duplicate check),
    # objections, referrals, steps, stations to refer to, attachments + frame 3
    url = reverse("wishes:staff_detail", args=[wish.pk])
    _assert_constant(client, url, 16, grow, django_assert_num_queries)


def test_detail_query_count_with_objections(client, city, people, site, django_assert_num_queries):
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )
    services.objection_file(user=people.resident, wish=wish, text="有异议")

    def grow():
        for _ in range(5):
            services.objection_file(user=UserFactory(), wish=wish, text="另有异议")

    client.force_login(people.north_reviewer)
    # session, user, roles, wish, needs, objections, referrals, steps, attachments + frame 3
    url = reverse("wishes:staff_detail", args=[wish.pk])
    _assert_constant(client, url, 12, grow, django_assert_num_queries)


def test_household_query_count(client, city, people, site, django_assert_num_queries):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)

    def grow():
        for _ in range(5):
            other = make_wish(people.north_staff, city.north_a, household=wish.household)
            services.aid_record(
                actor=people.north_staff,
                household=wish.household,
                received_on=timezone.localdate(),
                value=Decimal("50"),
                source="linli",
                description="慰问品",
                wish=other,
            )

    client.force_login(people.north_staff)
    # session, user, roles, wish, household, audit entry, aid (with wishes), visit + frame 3
    url = reverse("wishes:household", args=[wish.pk])
    _assert_constant(client, url, 11, grow, django_assert_num_queries)


def test_formula_query_count(client, city, make_user, site, django_assert_num_queries):
    admin = make_user(Role.CITY_ADMIN, city.city)
    services.formula_current()

    def grow():
        for i in range(3):
            services.formula_publish(actor=admin, weights=DEFAULT_WEIGHTS, note=f"v{i}")

    client.force_login(admin)
    # session, user, roles, formula in force, the city, versions (with publisher) + frame 3
    _assert_constant(client, reverse("wishes:formula"), 9, grow, django_assert_num_queries)


def test_intake_query_count(client, city, people, site, django_assert_num_queries):
    def grow():
        for _ in range(5):
            make_household(city.north_a, people.north_staff)

    client.force_login(people.north_staff)
    # session, user, roles, communities in scope (with towns) + frame 3
    _assert_constant(client, reverse("wishes:intake"), 7, grow, django_assert_num_queries)
