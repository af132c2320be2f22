"""Delivered listings and the people around them, for the feedback tests."""

from decimal import Decimal

import pytest

from accounts import audit
from accounts.roles import Role
from feedback import services
from marketplace.models import Listing, ListingStatus
from marketplace.services import pledge_create
from tests.marketplace.money import pay
from tests.wishes.factories import make_wish
from wishes.models import Status
from wishes.services import NeedLine


@pytest.fixture(autouse=True)
def _clear_outboxes():
    from django.core.cache import cache

    from accounts import sms

    cache.clear()  # rate-limit counts of earlier tests in the same minute
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def north_staff(city, make_user):
    return make_user(Role.STATION_STAFF, city.north_a, email="north.staff@example.org")


@pytest.fixture
def south_staff(city, make_user):
    return make_user(Role.STATION_STAFF, city.south_a, email="south.staff@example.org")


@pytest.fixture
def north_reviewer(city, make_user):
    return make_user(Role.TOWN_REVIEWER, city.north, email="north.reviewer@example.org")


@pytest.fixture
def south_reviewer(city, make_user):
    return make_user(Role.TOWN_REVIEWER, city.south, email="south.reviewer@example.org")


@pytest.fixture
def deliver(north_staff):
    """``deliver(staff, community, reviewer)``: a published wish's listing, delivered.

    The delivery log (stations) is not this app's: the listing is marked delivered the way
    ``marketplace.staff_services.listing_delivered`` records it (status + audit event).
    """

    def make(staff, community, reviewer, title="为独居老人添置轮椅", donors=()) -> Listing:
        wish = make_wish(
            staff,
            community,
            status=Status.PUBLISHED,
            reviewer=reviewer,
            title=title,
            needs=[NeedLine(kind="money", amount=Decimal("500.00"))],
        )
        listing = Listing.objects.of(wish).get()
        for donor in donors:  # each gives ¥100, paid and confirmed
            pay(pledge_create(donor=donor, line=listing.lines.get(), quantity=Decimal("100")))
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.DELIVERED)
        listing.refresh_from_db()
        audit.record(
            actor=staff,
            verb="listing.delivered",
            target=listing,
            region=listing.community,
            reason="交付完成",
        )
        return listing

    return make


@pytest.fixture
def delivered(city, north_staff, north_reviewer, deliver) -> Listing:
    return deliver(north_staff, city.north_a, north_reviewer)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """``send(listing, staff, channel="sms")``: request a link and run the sending."""

    def make(listing, staff, channel="sms"):
        with django_capture_on_commit_callbacks(execute=True):
            return services.confirmation_request(listing=listing, actor=staff, channel=channel)

    return make
