"""Deliveries under real concurrency, on PostgreSQL: staff on many phones log hand-overs of
one line at once. The line is never delivered beyond its target, and the listing is
delivered (and the household's aid recorded) exactly once."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from accounts.models import AuditEvent
from accounts.roles import Role
from marketplace import services as marketplace
from marketplace.models import Listing, ListingStatus
from stations import services
from stations.exceptions import NotDeliverable, OverDelivery
from stations.models import Delivery
from tests.wishes.factories import make_wish
from wishes.models import AidRecord, Status
from wishes.services import NeedLine

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 20  # other test databases share the server's 100 connections
TARGET = 10


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def _run_all(calls):
    def run(call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - each outcome is inspected below
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, calls))


def test_concurrent_deliveries_never_exceed_the_target(city, make_user):
    staff = [make_user(Role.STATION_STAFF, city.north_a) for _ in range(4)]
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    wish = make_wish(
        staff[0],
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=reviewer,
        needs=[NeedLine(kind="goods", item="大米", quantity=TARGET)],
    )
    listing = Listing.objects.of(wish).get()
    line = listing.lines.get()
    pledge = marketplace.pledge_create(donor=make_user(), line=line, quantity=line.target)
    marketplace.pledge_confirm(pledge=pledge)

    outcomes = _run_all(
        [
            lambda i=i: services.delivery_log(
                actor=staff[i % len(staff)], line=line, quantity=Decimal("1"), note=f"第{i}袋"
            )
            for i in range(2 * TARGET)
        ]
    )

    delivered = [o for o in outcomes if isinstance(o, Delivery)]
    refused = [o for o in outcomes if isinstance(o, OverDelivery | NotDeliverable)]
    assert len(delivered) == TARGET
    assert len(refused) == TARGET, [o for o in outcomes if not isinstance(o, Delivery)]
    assert Delivery.objects.filter(line=line).aggregate(t=Sum("quantity"))["t"] == TARGET
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DELIVERED
    assert AuditEvent.objects.filter(verb="listing.delivered").count() == 1
    assert AuditEvent.objects.filter(verb="listing.in_delivery").count() == 1
    assert AidRecord.objects.filter(wish=wish).count() == 1
