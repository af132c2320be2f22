"""Exact query counts of volunteering's pages, constant as shifts, sign-ups and verified
hours grow.

A signed-in request costs 2 queries before the view runs (session, user), the user's roles
1 more (read once per request and cached on the user), and the site frame its own few.
"""

from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.volunteers.conftest import in_days, make_shift, make_volunteer
from tests.volunteers.helpers import verified
from volunteers import services
from volunteers.models import Skill

pytestmark = pytest.mark.django_db
_n = count(1)


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    grow()  # some rows first: an empty page skips its page query
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    counts = []
    for step in (None, grow):
        if step is not None:
            step()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts == [queries, queries], "\n".join(q["sql"][:200] for q in captured)


@pytest.fixture
def grow(city, make_user, north_staff, volunteer):
    """More of everything: shifts at the station, the volunteer on them, others with
    verified hours, and the volunteer's own verified hours."""

    def step():
        for _ in range(3):
            n = next(_n)
            shift = make_shift(
                city.station_north, north_staff, title=f"班次{n}", date=in_days(1 + n % 5)
            )
            services.shift_signup(volunteer=volunteer, shift=shift)
            for _ in range(2):
                other = make_volunteer(make_user, [city.north], skills=[Skill.REPAIR])
                verified(shift, other, north_staff, minutes=60)
            done = make_shift(city.station_north, north_staff, title=f"已完成{n}")
            verified(done, volunteer, north_staff, minutes=90)

    return step


def test_profile_page(client, volunteer, grow, django_assert_num_queries):
    client.force_login(volunteer)
    _assert_constant(client, reverse("volunteers:profile"), 9, grow, django_assert_num_queries)


def test_shifts_page(client, volunteer, grow, django_assert_num_queries):
    client.force_login(volunteer)
    _assert_constant(client, reverse("volunteers:shifts"), 10, grow, django_assert_num_queries)


def test_my_hours_page(client, volunteer, grow, django_assert_num_queries):
    client.force_login(volunteer)
    _assert_constant(client, reverse("volunteers:my_hours"), 8, grow, django_assert_num_queries)


def test_certificate_page(client, volunteer, grow, django_assert_num_queries):
    client.force_login(volunteer)
    _assert_constant(client, reverse("volunteers:certificate"), 7, grow, django_assert_num_queries)


def test_station_shifts_page(client, north_staff, grow, django_assert_num_queries):
    client.force_login(north_staff)
    _assert_constant(
        client, reverse("volunteers:station_shifts"), 10, grow, django_assert_num_queries
    )


def test_roster_page(client, city, north_staff, make_user, django_assert_num_queries):
    shift = make_shift(city.station_north, north_staff, capacity=50)

    def more():
        for _ in range(3):
            person = make_volunteer(make_user, [city.north])
            signup = services.shift_signup(volunteer=person, shift=shift)
            services.check_in(actor=north_staff, signup=signup)
        services.shift_signup(volunteer=make_volunteer(make_user, [city.north]), shift=shift)

    client.force_login(north_staff)
    _assert_constant(
        client, reverse("volunteers:shift", args=[shift.pk]), 8, more, django_assert_num_queries
    )


def test_totals_page(client, north_staff, grow, django_assert_num_queries):
    client.force_login(north_staff)
    _assert_constant(client, reverse("volunteers:totals"), 10, grow, django_assert_num_queries)


def test_totals_csv(client, north_staff, grow, django_assert_num_queries):
    client.force_login(north_staff)
    _assert_constant(client, reverse("volunteers:totals_csv"), 5, grow, django_assert_num_queries)


def test_shifts_to_staff_is_one_query(
    city, north_staff, south_staff, volunteer, django_assert_num_queries
):
    """The station workspace's list: shifts in the window at the user's stations, counted."""
    from volunteers.selectors import shifts_to_staff

    inside = make_shift(city.station_north, north_staff, date=in_days(1), capacity=4)
    later = make_shift(city.station_north, north_staff, date=in_days(2))
    make_shift(city.station_north, north_staff, date=in_days(9))  # outside the window
    make_shift(city.station_south, south_staff, date=in_days(1))  # another station
    services.shift_cancel(
        actor=north_staff, shift=make_shift(city.station_north, north_staff, date=in_days(1))
    )
    services.shift_signup(volunteer=volunteer, shift=inside)

    with django_assert_num_queries(1):
        rows = [
            (s.pk, s.signed_up, s.station.name)
            for s in shifts_to_staff(user=north_staff, start=in_days(0), end=in_days(7))
        ]
    assert rows == [(inside.pk, 1, "北一驿站"), (later.pk, 0, "北一驿站")]
