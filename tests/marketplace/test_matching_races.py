"""Matching under real concurrency, on PostgreSQL: threads with their own connections race
for one pool and one fund. The pool is spent exactly, never overspent; the fund never
promises more than it holds, whoever asks (a donor's match or an express payment).
"""

import random
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from accounts.errors import LinliError
from accounts.models import User
from accounts.roles import Role
from marketplace import funds, services
from marketplace.models import (
    Campaign,
    Fund,
    FundGrant,
    FundOwner,
    LedgerLine,
    ListingLine,
    Match,
    MatchStatus,
    Pledge,
    PledgeStatus,
    TopUpKind,
    TransactionKind,
)
from tests.accounts.factories import OrganisationFactory
from tests.marketplace.funds_helpers import assert_ledger_consistent, make_campaign
from tests.marketplace.money import pay as pay_for
from tests.wishes.factories import make_wish
from wishes import services as wishes
from wishes.models import Route, Status

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 20  # other test databases share the server's 100 connections


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def _donors(n: int) -> list[User]:
    User.objects.bulk_create([User(email=f"matcher{i}@race.example.org") for i in range(n)])
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


def _projects(city, n: int, target: str) -> list[ListingLine]:
    """*n* community projects at north_a, each needing *target* yuan (room for everyone)."""
    lines = []
    for i in range(n):
        listing = services.listing_publish(
            source=OrganisationFactory(region=city.north_a),
            kind="project",
            title=f"社区项目{i}",
            story="翻新。",
            category="elder_care",
            community=city.north_a,
            lines=[services.LineSpec(kind="money", target=Decimal(target))],
        )
        lines.append(listing.lines.get())
    return lines


def _pledge_then_maybe_pay(donor, line, amount, pay):
    pledge = services.pledge_create(donor=donor, line=line, quantity=amount)
    if pay:
        pay_for(pledge)
    return pledge


def _ledger_matched(campaign: Campaign) -> Decimal:
    """What the ledger says the campaign matched: money out of its fund for it, less returns."""
    out = LedgerLine.objects.filter(
        transaction__campaign=campaign,
        transaction__kind__in=[TransactionKind.MATCH, TransactionKind.MATCH_RETURN],
        account_id=campaign.fund.account_id,
    ).aggregate(total=Sum("amount"))["total"]
    return -(out or Decimal("0.00"))


def test_300_concurrent_pledges_spend_the_pool_exactly(city, city_fund, city_admin):
    pool, cap = Decimal("3000"), Decimal("50")
    campaign = make_campaign(city_fund, city_admin, pool_cap=pool, per_donor_cap=cap)
    lines = _projects(city, 4, "10000")
    donors = _donors(100)
    rng = random.Random(2026)
    plans = [
        (donors[i % 100], lines[i % 4], Decimal(rng.randint(10, 40)), i % 2 == 0)
        for i in range(300)
    ]

    started = time.perf_counter()
    results = _run_all([lambda p=p: _pledge_then_maybe_pay(*p) for p in plans])
    elapsed = time.perf_counter() - started
    print(f"\n300 pledges (150 paid) against one pool in {elapsed:.1f}s with {WORKERS} threads")

    errors = [r for r in results if not isinstance(r, Pledge)]
    assert not errors, errors[:3]  # no server errors, and no refusals with these numbers
    pledged: dict[int, Decimal] = {}
    for pledge in results:
        pledged[pledge.donor_id] = pledged.get(pledge.donor_id, Decimal(0)) + pledge.quantity
    allowed = sum((min(cap, total) for total in pledged.values()), Decimal(0))  # 1:1, capped
    holding = Match.objects.filter(campaign=campaign).holding()
    assert holding.total() == min(pool, allowed) == pool  # spent exactly, never past it
    for donor in donors:
        assert holding.filter(donor=donor).total() <= cap
    confirmed = Match.objects.filter(campaign=campaign, status=MatchStatus.CONFIRMED).total()
    campaign.refresh_from_db()
    assert confirmed == campaign.matched == _ledger_matched(campaign) > 0
    assert Pledge.objects.filter(status=PledgeStatus.CONFIRMED).count() == 150
    for line in ListingLine.objects.filter(pk__in=[line.pk for line in lines]):
        paid = Pledge.objects.filter(line=line, status=PledgeStatus.CONFIRMED).total()
        matched = Match.objects.filter(line=line, status=MatchStatus.CONFIRMED).total()
        assert line.confirmed == paid + matched <= line.target
    assert_ledger_consistent()


def test_the_pool_and_express_payments_race_for_one_fund(city, city_admin, make_user):
    fund = funds.fund_create(
        actor=city_admin, name="市应急专项", owner=FundOwner.CITY, region=city.city
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=fund,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("3000"),
        reference="东财〔2026〕9号",
    )
    # The pool is larger than the fund: the fund's money is what runs out.
    campaign = make_campaign(fund, city_admin, pool_cap=Decimal("50000"))
    staff = make_user(Role.STATION_STAFF, city.north_a)
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    express = [
        make_wish(
            staff, city.north_a, status=Status.PUBLISHED, reviewer=reviewer, route=Route.EXPRESS
        )
        for _ in range(5)
    ]  # ¥800 each
    lines = _projects(city, 3, "10000")
    donors = _donors(100)
    rng = random.Random(7)
    plans = [
        (donor, lines[i % 3], Decimal(rng.randint(20, 40)), i % 2 == 0)
        for i, donor in enumerate(donors)
    ]
    calls = [lambda p=p: _pledge_then_maybe_pay(*p) for p in plans]
    for n, wish in enumerate(express):  # spread the grants among the pledges
        calls.insert(
            10 + n * 20,
            lambda w=wish, n=n: wishes.wish_express_pay(
                actor=city_admin,
                wish=w,
                fund=fund,
                payee_name="某药房",
                payee_account="",
                payment_reference=f"网银-{n}",
            ),
        )

    started = time.perf_counter()
    results = _run_all(calls)
    elapsed = time.perf_counter() - started
    print(f"\n100 pledges and 5 express payments on one fund in {elapsed:.1f}s")

    grants = [r for r in results if isinstance(r, FundGrant)]
    refused = [r for r in results if isinstance(r, funds.InsufficientFunds)]
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, LinliError)]
    others = [
        r
        for r in results
        if isinstance(r, LinliError) and not isinstance(r, funds.InsufficientFunds)
    ]
    assert not errors and not others, (errors + others)[:3]
    assert len(grants) + len(refused) == 5 and grants  # some were paid, the rest refused
    fund = Fund.objects.select_related("account").get(pk=fund.pk)
    held = Match.objects.filter(campaign=campaign).holding().total()
    granted = sum((g.amount for g in grants), Decimal(0))
    assert fund.balance >= 0 and funds.available(fund) >= 0
    assert granted + held <= Decimal("3000")  # never promised more than it held
    assert (
        fund.balance
        == Decimal("3000")
        - granted
        - Match.objects.filter(campaign=campaign, status=MatchStatus.CONFIRMED).total()
    )
    # A grant was refused only when too little was free for it.
    if refused:
        assert Decimal("3000") - granted - held < Decimal("800")
    campaign.refresh_from_db()
    assert campaign.matched == _ledger_matched(campaign)
    paid = {g.source_id for g in grants}
    for wish in express:
        wish.refresh_from_db()
        assert wish.status == (Status.RESOLVED if wish.pk in paid else Status.PUBLISHED)
    assert_ledger_consistent()
