"""Never double-booked: real threads on PostgreSQL racing for one listing.

Each worker thread has its own database connection, as a web process would. A pool of
40 threads works through the calls (PostgreSQL allows 100 connections by default).
"""

import random
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import translation

from accounts.errors import LinliError
from accounts.models import Station, User
from marketplace import services
from marketplace.exceptions import AlreadyClaimed, FullyPledged
from marketplace.models import (
    Claim,
    ClaimStatus,
    Pledge,
    PledgeStatus,
    Receipt,
    ReceiptCounter,
)
from tests.marketplace.money import pay as pay_for

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 40


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def _donors(n: int) -> list[User]:
    User.objects.bulk_create([User(email=f"donor{i}@race.example.org") for i in range(n)])
    return list(User.objects.filter(email__endswith="@race.example.org").order_by("pk"))


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


def test_200_concurrent_claims_make_exactly_one(listing):
    donors = _donors(200)
    results = _run_all(
        [lambda d=d: services.claim_create(donor=d, listing=listing) for d in donors]
    )
    claims = [r for r in results if isinstance(r, Claim)]
    refused = [r for r in results if isinstance(r, AlreadyClaimed)]
    others = [r for r in results if not isinstance(r, Claim | AlreadyClaimed)]
    assert len(claims) == 1 and len(refused) == 199 and not others, others[:3]
    assert refused[0].status == 409 and refused[0].code == "already_claimed"
    with translation.override("en"):
        assert "already claimed" in str(refused[0])
    assert Claim.objects.filter(listing=listing, status=ClaimStatus.ACTIVE).count() == 1


def test_400_concurrent_pledges_never_exceed_the_target(money_line):
    donors = _donors(100)
    rng = random.Random(2026)
    plans = [(donors[i % 100], Decimal(rng.randint(10, 40)), i % 2 == 0) for i in range(400)]

    def pledge_then_maybe_pay(donor, amount, pay):
        pledge = services.pledge_create(
            donor=donor, line=money_line, quantity=amount, accept_clipped=True
        )
        if pay:
            pay_for(pledge)
        return pledge

    results = _run_all([lambda p=p: pledge_then_maybe_pay(*p) for p in plans])
    made = [r for r in results if isinstance(r, Pledge)]
    full = [r for r in results if isinstance(r, FullyPledged)]
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, LinliError)]
    assert not errors, errors[:3]  # no server errors: every refusal is a domain answer
    assert made and full  # the target ran out, and the rest were told so
    money_line.refresh_from_db()
    confirmed = Pledge.objects.filter(line=money_line, status=PledgeStatus.CONFIRMED).total()
    reserved = Pledge.objects.filter(line=money_line).reserving().total()
    assert money_line.confirmed == confirmed  # the counter equals the sum of the rows
    assert confirmed + reserved <= money_line.target
    assert confirmed + reserved == money_line.target  # and the whole target was taken


def test_payments_on_many_listings_at_once_get_gapless_receipt_numbers(city):
    """Found by the benchmark: numbering receipts by retrying on the unique number gave up
    under eight clients. Forty payments on forty listings at once: forty receipts, 1–40."""
    donors = _donors(40)
    pledges = []
    for i, donor in enumerate(donors):
        # A listing per source: stations stand in for forty projects.
        source = Station.objects.create(name=f"驿站 {i}", community=city.north_a, address="—")
        listing = services.listing_publish(
            source=source,
            kind="project",
            title=f"社区微实事 {i}",
            story="添置设施。",
            category="elder_care",
            community=city.north_a,
            lines=[services.LineSpec(kind="money", target=Decimal("100"))],
        )
        pledges.append(
            services.pledge_create(donor=donor, line=listing.lines.get(), quantity=Decimal("50"))
        )

    results = _run_all([lambda p=p: pay_for(p) for p in pledges])

    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    sequences = sorted(Receipt.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 41))
    assert ReceiptCounter.objects.get().last == 40
