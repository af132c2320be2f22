"""Satisfaction figures per station, town and donor, and a listing's public outcome."""

from decimal import Decimal

import pytest

from feedback import selectors, services
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(city, north_staff, south_staff, north_reviewer, south_reviewer, deliver, send):
    """North: scores 5 and 2 and one unanswered link. South: a 4. Donors on some."""
    d1 = UserFactory(email="d1@example.org", display_name="捐赠人甲")
    d2 = UserFactory(email="d2@example.org", display_name="捐赠人乙")
    n1 = deliver(north_staff, city.north_a, north_reviewer, donors=[d1, d1, d2])
    n2 = deliver(north_staff, city.north_a, north_reviewer, donors=[d1])
    n3 = deliver(north_staff, city.north_a, north_reviewer)
    s1 = deliver(south_staff, city.south_a, south_reviewer, donors=[d2])
    for listing, staff, score in ((n1, north_staff, 5), (n2, north_staff, 2), (s1, south_staff, 4)):
        link = send(listing, staff)
        services.respond(token=link.raw_token, received=True, score=score)
    send(n3, north_staff)
    return {"d1": d1, "d2": d2, "n1": n1, "n2": n2, "n3": n3, "s1": s1}


def _by_key(rows):
    return {row.key: row for row in rows}


def test_by_station(rated, city):
    rows = _by_key(selectors.satisfaction_by_station())
    north, south = rows[city.station_north.pk], rows[city.station_south.pk]
    assert (north.average, north.count, north.links, north.answered) == (
        Decimal("3.5"),
        2,
        3,
        2,
    )
    assert north.response_rate == Decimal("67")
    assert north.label == city.station_north.label
    assert (south.average, south.count, south.links, south.response_rate) == (
        Decimal("4.0"),
        1,
        1,
        Decimal("100"),
    )


def test_by_town(rated, city):
    rows = _by_key(selectors.satisfaction_by_town())
    assert set(rows) == {city.north.pk, city.south.pk}
    assert rows[city.north.pk].average == Decimal("3.5")
    assert rows[city.north.pk].response_rate == Decimal("67")
    assert rows[city.south.pk].count == 1


def test_by_donor_counts_each_listing_once(rated):
    rows = _by_key(selectors.satisfaction_by_donor())
    d1, d2 = rows[rated["d1"].pk], rows[rated["d2"].pk]
    # d1 gave twice to n1 (5) and once to n2 (2): n1 counts once.
    assert (d1.average, d1.count, d1.links, d1.answered) == (Decimal("3.5"), 2, 2, 2)
    # d2 gave to n1 (5) and s1 (4).
    assert (d2.average, d2.count, d2.response_rate) == (Decimal("4.5"), 2, Decimal("100"))
    assert _by_key(selectors.satisfaction_by_donor([rated["d2"].pk])).keys() == {rated["d2"].pk}


def test_constant_queries(rated, django_assert_num_queries):
    with django_assert_num_queries(3):
        selectors.satisfaction_by_station()
    with django_assert_num_queries(3):
        selectors.satisfaction_by_town()
    with django_assert_num_queries(4):
        selectors.satisfaction_by_donor()


def test_listing_outcome(rated):
    outcome = selectors.listing_outcome(rated["n1"])
    assert outcome.average == Decimal("5.0")
    assert outcome.count == 1
    assert outcome.delivered_at is not None
    empty = selectors.listing_outcome(rated["n3"])
    assert (empty.average, empty.count) == (None, 0)
    assert empty.delivered_at is not None


def test_listing_outcome_before_delivery(listing_open):
    outcome = selectors.listing_outcome(listing_open)
    assert (outcome.delivered_at, outcome.average, outcome.count) == (None, None, 0)


@pytest.fixture
def listing_open(city, north_staff, north_reviewer):
    from marketplace.models import Listing
    from tests.wishes.factories import make_wish
    from wishes.models import Status

    wish = make_wish(north_staff, city.north_a, status=Status.PUBLISHED, reviewer=north_reviewer)
    return Listing.objects.of(wish).get()


def test_outcome_include_renders_figures_only(rated, english):
    from django.template.loader import render_to_string

    html = render_to_string(
        "feedback/includes/outcome.html", {"outcome": selectors.listing_outcome(rated["n1"])}
    )
    assert "5.0 of 5 (1 rating)" in html
    assert "Delivered" in html
    none = render_to_string(
        "feedback/includes/outcome.html", {"outcome": selectors.Outcome(None, None, 0)}
    )
    assert none.strip() == ""
