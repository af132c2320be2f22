"""The money is right whatever donors, providers, staff and the clock do, in any order.

A hypothesis state machine drives a small world through the real services (pledges,
offline and Stripe payments with every webhook delivered twice, failures, lapsing
reservations and the tidy-up, refunds, cancellations, delivery and four-eyes payouts,
paused campaigns, matched volunteer hours) and checks, after every step, that the ledger
and every counter kept beside it agree.

Isolation: the world (city, funds, campaigns, listings, people) is built once per test;
each example runs inside a savepoint that the machine's ``teardown`` rolls back, so every
example starts from that same world and nothing is ever deleted from the append-only
ledger. (On-commit callbacks never run inside the test's transaction: the automatic Stripe
refund of an unhonoured payment stays due, and its money stays in clearing, which the
invariants account for.)

The directed tests at the end replay, step by step, what the machine found.
"""

import contextlib
import itertools
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.errors import LinliError
from accounts.models import Membership, User
from accounts.money import CENT
from accounts.roles import Role
from marketplace import funds, ledger, services
from marketplace.models import (
    HOLDING_KINDS,
    Account,
    Campaign,
    CampaignStatus,
    Disbursement,
    DisbursementStatus,
    Fund,
    FundOwner,
    LedgerLine,
    LedgerTransaction,
    Listing,
    ListingLine,
    ListingStatus,
    Match,
    MatchStatus,
    PayeeKind,
    Payment,
    PaymentStatus,
    Pledge,
    PledgeStatus,
    TopUpKind,
    TransactionKind,
    WebhookEvent,
)
from marketplace.payments import base
from marketplace.payments import services as payments
from marketplace.payments import stripe as stripe_provider
from marketplace.staff_services import listing_delivered
from tests.accounts.factories import OrganisationFactory
from tests.marketplace.funds_helpers import assert_ledger_consistent, make_campaign
from tests.marketplace.test_payments_stripe import SECRET, FakeStripeHTTP, _event, _post
from tests.wishes.factories import make_wish
from wishes.models import Status
from wishes.services import NeedLine

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")
ONE_TO_ONE = [{"up_to": None, "ratio": "1.00"}]
HALF_ON_FIRST_50 = [{"up_to": "50", "ratio": "0.50"}]
A_DONOR_CAP = Decimal("80")
A_PLEDGE_CAP = Decimal("60")
B_PER_DONOR = Decimal("25.00")  # what the tiers give at most: half of the first ¥50

_numbers = itertools.count(1)
# (donor, listing, yuan, how it is paid): one to three pledges per step. "slow" opens an
# offline payment and lets the reservation lapse before the money comes (in a later step);
# "late" does the same, and the money comes at the end of this step, after the others.
GIFTS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 1),
        st.sampled_from([10, 30, 50, 80, 150]),
        st.sampled_from(["", "offline", "stripe", "slow", "late"]),
    ),
    min_size=1,
    max_size=3,
)


@pytest.fixture
def stripe_fake(settings, monkeypatch) -> FakeStripeHTTP:
    """Stripe's API in memory (the Stripe tests' fake), with the webhook secret set."""
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    http = FakeStripeHTTP()
    real = stripe_provider.stripe_client
    monkeypatch.setattr(stripe_provider, "stripe_client", lambda: real(http_client=http))
    return http


@dataclass
class World:
    city_fund: Fund
    company_fund: Fund
    one_to_one: Campaign  # on the city fund: 1:1, small pool, per-pledge and per-donor caps
    tiered: Campaign  # on the company's fund: 50% on each donor's first ¥50
    listings: list[Listing]  # a wish (money only) and a community project
    lines: list[ListingLine]  # their money lines
    donors: list[User]  # the last is a member of the sponsoring company
    managers: list[User]  # two fund managers of the listings' area
    station_staff: User
    fake: FakeStripeHTTP


@pytest.fixture
def world(city, make_user, city_admin, city_fund, stripe_fake) -> World:
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    staff = make_user(Role.STATION_STAFF, city.north_a)
    company = OrganisationFactory(region=city.city)
    boss = make_user()
    Membership.objects.create(organisation=company, user=boss, is_admin=True)
    company_fund = funds.fund_create(
        actor=boss,
        name="爱心企业配捐基金",
        owner=FundOwner.COMPANY,
        region=city.city,
        organisation=company,
    )
    funds.fund_top_up(
        actor=boss,
        fund=company_fund,
        kind=TopUpKind.DONATION,
        amount=Decimal("120"),
        reference="D-1",
    )
    one_to_one = make_campaign(
        city_fund,
        city_admin,
        name="一比一配捐",
        pool_cap=Decimal("300"),
        per_donor_cap=A_DONOR_CAP,
        per_pledge_cap=A_PLEDGE_CAP,
        hour_rate=Decimal("10"),
    )
    tiered = make_campaign(
        company_fund, boss, name="首五十元半配", tiers=HALF_ON_FIRST_50, pool_cap=Decimal("200")
    )
    wish = make_wish(
        staff,
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=reviewer,
        needs=[NeedLine(kind="money", amount=Decimal("300"))],
    )
    project = services.listing_publish(
        source=company,
        kind="project",
        title="长者饭堂改造",
        story="翻新厨房。",
        category="elder_care",
        community=city.north_a,
        lines=[services.LineSpec(kind="money", target=Decimal("1500"))],
    )
    listings = [Listing.objects.of(wish).get(), project]
    donors = [make_user(), make_user(), make_user()]
    Membership.objects.create(organisation=company, user=donors[2])
    return World(
        city_fund=city_fund,
        company_fund=company_fund,
        one_to_one=one_to_one,
        tiered=tiered,
        listings=listings,
        lines=[listing.lines.get() for listing in listings],
        donors=donors,
        managers=[city_admin, reviewer],
        station_staff=staff,
        fake=stripe_fake,
    )


def _pick(items: list, index: int):
    return items[index % len(items)]


class LedgerMachine(RuleBasedStateMachine):
    """One example: a sequence of steps over the shared world, rolled back at the end."""

    world: World

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.fake = self.world.fake
        self.fake.requests.clear()
        self.fake.replays.clear()  # SQLite may give a rolled-back payment's pk again
        self.client = Client()
        self.pledges: list[int] = []
        self.payments: list[int] = []
        self.events: set[str] = set()
        self.lines_seen: list[tuple] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- helpers ----------------------------------------------------------------------

    def _mine(self, statuses, model=Pledge, ids=None) -> list:
        ids = self.pledges if ids is None else ids
        return list(model.objects.filter(pk__in=ids, status__in=statuses).order_by("pk"))

    def _settle(self, payment: Payment) -> None:
        """The money arrives: staff confirm a transfer, or Stripe tells us (twice)."""
        if payment.provider == "offline":
            payments.payment_succeeded(payment=payment, receipt_number=f"BANK-{next(_numbers):06d}")
            return
        event = _event("checkout.session.completed", payment, self.fake, f"evt_{next(_numbers)}")
        for _ in range(2):  # Stripe delivers at least once: the repeat must change nothing
            assert _post(self.client, event).status_code == 200
        self.events.add(event["id"])

    def _start(self, pledge: Pledge, provider: str) -> Payment:
        payment = payments.payment_start(pledge=pledge, provider_id=provider)
        base.get(provider).start(payment)
        payment.refresh_from_db()
        if payment.pk not in self.payments:
            self.payments.append(payment.pk)
        return payment

    # --- rules ------------------------------------------------------------------------

    def _pledge(self, donor: int, listing: int, amount: int, provider: str) -> Payment | None:
        """Pledge, and pay as told; returns a payment whose money is still to come."""
        try:
            pledge = services.pledge_create(
                donor=self.world.donors[donor],
                line=self.world.lines[listing],
                quantity=Decimal(amount),
                accept_clipped=True,
            )
        except LinliError:  # full, not open, too many open pledges: all domain answers
            return None
        self.pledges.append(pledge.pk)
        if provider in ("slow", "late"):
            payment = self._start(pledge, "offline")
            past = timezone.now() - timedelta(seconds=1)
            Pledge.objects.filter(pk=pledge.pk).update(expires_at=past)
            Match.objects.filter(pledge=pledge).update(expires_at=past)
            return payment if provider == "late" else None
        if provider:
            self._settle(self._start(pledge, provider))
        return None

    def _gifts(self, gifts) -> None:
        late = [self._pledge(*gift) for gift in gifts]
        for payment in late:
            if payment is not None:
                self._settle(payment)

    @initialize(gifts=GIFTS)
    def first_pledges(self, gifts):
        self._gifts(gifts)

    @rule(gifts=GIFTS)
    def pledge(self, gifts):
        self._gifts(gifts)

    @precondition(lambda self: self.pledges)
    @rule(which=st.integers(0, 100), stripe=st.booleans())
    def pay(self, which, stripe):
        pending = self._mine([PledgeStatus.PENDING])
        if not pending:
            return
        try:
            payment = self._start(_pick(pending, which), "stripe" if stripe else "offline")
        except LinliError:  # the reservation lapsed
            return
        self._settle(payment)

    @precondition(lambda self: self.pledges)
    @rule(which=st.integers(0, 100), stripe=st.booleans())
    def start_payment(self, which, stripe):
        """A donor opens a payment and the money is on its way (settled in a later step)."""
        pending = self._mine([PledgeStatus.PENDING])
        if pending:
            with contextlib.suppress(LinliError):
                self._start(_pick(pending, which), "stripe" if stripe else "offline")

    @precondition(lambda self: self.payments)
    @rule(which=st.integers(0, 100), fails=st.booleans())
    def money_arrives_or_not(self, which, fails):
        """A payment opened earlier settles (perhaps after its reservation lapsed, or after
        a failure: money that really arrived wins), or the provider says it failed."""
        statuses = [PaymentStatus.CREATED, PaymentStatus.PENDING]
        open_ = self._mine(
            statuses if fails else [*statuses, PaymentStatus.FAILED], Payment, self.payments
        )
        if not open_:
            return
        if fails:
            payments.payment_failed(payment=_pick(open_, which))
        else:
            self._settle(_pick(open_, which))

    @precondition(lambda self: self.pledges)
    @rule(which=st.integers(0, 100), every=st.booleans(), tidy=st.booleans())
    def time_passes(self, which, every, tidy):
        """Reservations lapse (one, or all pending ones): their expiry moves into the past;
        perhaps the periodic tidy-up runs after."""
        pending = self._mine([PledgeStatus.PENDING])
        chosen = pending if every or not pending else [_pick(pending, which)]
        past = timezone.now() - timedelta(seconds=1)
        ids = [p.pk for p in chosen]
        Pledge.objects.filter(pk__in=ids).update(expires_at=past)
        Match.objects.filter(pledge_id__in=ids, status=MatchStatus.RESERVED).update(expires_at=past)
        if tidy:
            services.reservations_expire()

    @precondition(lambda self: self.payments)
    @rule(which=st.integers(0, 100), manager=st.integers(0, 1))
    def refund(self, which, manager):
        paid = self._mine([PaymentStatus.SUCCEEDED], Payment, self.payments)
        if not paid:
            return
        with contextlib.suppress(LinliError):  # the escrow was paid out meanwhile
            payments.payment_refund(
                payment=_pick(paid, which),
                actor=self.world.managers[manager],
                reason="捐赠人要求退款",
                refund_reference=f"退-{next(_numbers)}",
            )

    @precondition(lambda self: self.pledges)
    @rule(which=st.integers(0, 100))
    def cancel(self, which):
        pending = self._mine([PledgeStatus.PENDING])
        if pending:
            pledge = _pick(pending, which)
            services.pledge_cancel(actor=pledge.donor, pledge=pledge)

    @rule(
        listing=st.integers(0, 1),
        share=st.sampled_from(["0.25", "0.5", "1"]),
        first=st.integers(0, 1),
    )
    def deliver_and_disburse(self, listing, share, first):
        listing = Listing.objects.get(pk=self.world.listings[listing].pk)
        requester, approver = self.world.managers[first], self.world.managers[1 - first]
        try:
            if listing.status == ListingStatus.FULLY_PLEDGED:
                listing_delivered(actor=self.world.station_staff, listing=listing, note="已送达")
            amount = (funds.escrow_free(listing) * Decimal(share)).quantize(
                CENT, rounding=ROUND_DOWN
            )
            if amount <= 0:
                return
            request = funds.disbursement_request(
                actor=requester,
                listing=listing,
                amount=amount,
                payee_kind=PayeeKind.SUPPLIER,
                payee_name="康复器材店",
            )
            funds.disbursement_approve(
                actor=approver, disbursement=request, payment_reference=f"付-{next(_numbers)}"
            )
        except LinliError:  # not yet delivered (a wish), or nothing free
            pass

    @rule(tiered=st.booleans())
    def pause_or_resume(self, tiered):
        campaign = Campaign.objects.get(
            pk=(self.world.tiered if tiered else self.world.one_to_one).pk
        )
        paused = campaign.status == CampaignStatus.PAUSED
        to = CampaignStatus.ACTIVE if paused else CampaignStatus.PAUSED
        funds.campaign_move(actor=campaign.created_by, campaign=campaign, to=to, reason="调整")

    @rule(listing=st.integers(0, 1), hours=st.integers(1, 6))
    def hours_verified(self, listing, hours):
        funds.hours_match_post(
            campaign=self.world.one_to_one,
            listing=self.world.listings[listing],
            hours=Decimal(hours),
            reference=f"工时-{next(_numbers)}",
        )

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def the_money_is_right(self):
        """Everything below is read in a dozen queries and checked in Python (fast enough
        to run after every step)."""
        check(self, Snapshot.take())


@dataclass
class Snapshot:
    lines: list[
        tuple
    ]  # ledger lines: pk, account, amount, transaction, its kind, campaign, pledge, ref
    transactions: int
    accounts: dict[int, tuple]  # pk: code, kind, balance, listing
    matches: list[tuple]
    pledges: list[tuple]
    payments: list[tuple]
    campaigns: list[tuple]
    listing_lines: list[tuple]
    paid_out: dict[int, Decimal]
    webhook_events: int

    @classmethod
    def take(cls) -> "Snapshot":
        paid_out = defaultdict(Decimal)
        for listing_id, amount in Disbursement.objects.filter(
            status=DisbursementStatus.PAID
        ).values_list("listing_id", "amount"):
            paid_out[listing_id] += amount
        return cls(
            lines=list(
                LedgerLine.objects.order_by("pk").values_list(
                    "pk",
                    "account_id",
                    "amount",
                    "transaction_id",
                    "transaction__kind",
                    "transaction__campaign_id",
                    "transaction__pledge_id",
                    "transaction__external_reference",
                )
            ),
            transactions=LedgerTransaction.objects.count(),
            accounts={
                pk: rest
                for pk, *rest in Account.objects.values_list(
                    "pk", "code", "kind", "balance", "listing_id"
                )
            },
            matches=list(
                Match.objects.values_list(
                    "campaign_id",
                    "donor_id",
                    "line_id",
                    "pledged",
                    "amount",
                    "status",
                    "expires_at",
                )
            ),
            pledges=list(
                Pledge.objects.values_list("pk", "line_id", "quantity", "status", "expires_at")
            ),
            payments=list(
                Payment.objects.values_list(
                    "pk",
                    "pledge_id",
                    "provider",
                    "amount",
                    "status",
                    "receipt_number",
                    "external_id",
                    "receipt__id",
                )
            ),
            campaigns=list(
                Campaign.objects.values_list("pk", "fund__account_id", "matched", "pool_cap")
            ),
            listing_lines=list(
                ListingLine.objects.values_list("pk", "listing_id", "confirmed", "target")
            ),
            paid_out=paid_out,
            webhook_events=WebhookEvent.objects.count(),
        )


MATCHING = {TransactionKind.MATCH, TransactionKind.HOURS_MATCH, TransactionKind.MATCH_RETURN}
RECEIVED = {PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED}


def check(machine: LedgerMachine, snap: Snapshot) -> None:  # noqa: C901 - one list of checks
    now = timezone.now()
    world = machine.world

    # No ledger line ever changes or disappears: what was seen is a prefix of what is.
    seen = [line[:3] for line in snap.lines]
    assert seen[: len(machine.lines_seen)] == machine.lines_seen
    machine.lines_seen = seen

    # Every transaction balances (and has lines).
    per_transaction = defaultdict(Decimal)
    per_account = defaultdict(Decimal)
    for _pk, account, amount, entry, *_rest in snap.lines:
        per_transaction[entry] += amount
        per_account[account] += amount
    assert set(per_transaction.values()) <= {ZERO}
    assert len(per_transaction) == snap.transactions

    # Holding accounts: never negative, and the cached balance is the ledger's sum.
    for pk, (code, kind, balance, _listing) in snap.accounts.items():
        if kind in HOLDING_KINDS:
            assert balance >= 0, code
            assert balance == per_account[pk], code

    def holding(match) -> bool:
        status, expires_at = match[5], match[6]
        return status == MatchStatus.CONFIRMED or (
            status == MatchStatus.RESERVED and expires_at > now
        )

    def reserving(status, expires_at) -> bool:
        return status == PledgeStatus.PENDING and expires_at > now

    # Funds never promise more than they hold: balance − reserved matches ≥ 0.
    fund_of = {pk: account for pk, account, _m, _cap in snap.campaigns}
    for fund in (world.city_fund, world.company_fund):
        promised = sum(
            (
                m[4]
                for m in snap.matches
                if fund_of[m[0]] == fund.account_id and m[5] == "reserved" and m[6] > now
            ),
            ZERO,
        )
        assert snap.accounts[fund.account_id][2] - promised >= 0, fund.name

    # Campaigns: matched equals the ledger and the confirmed matches (and hours); never
    # past the pool, even counting what is reserved.
    for pk, fund_account, matched, pool_cap in snap.campaigns:
        posted = sum(
            (
                amount
                for _pk, account, amount, _t, kind, campaign, *_rest in snap.lines
                if campaign == pk and kind in MATCHING and account == fund_account
            ),
            ZERO,
        )
        assert matched == -posted, pk
        hours = sum(
            (
                amount
                for _pk, _account, amount, _t, kind, campaign, *_rest in snap.lines
                if campaign == pk and kind == TransactionKind.HOURS_MATCH and amount > 0
            ),
            ZERO,
        )
        confirmed = sum((m[4] for m in snap.matches if m[0] == pk and m[5] == "confirmed"), ZERO)
        reserved = sum(
            (m[4] for m in snap.matches if m[0] == pk and m[5] == "reserved" and m[6] > now), ZERO
        )
        assert matched == confirmed + hours, pk
        assert 0 <= matched <= pool_cap and matched + reserved <= pool_cap, pk

    # The caps: per pledge and per donor (1:1), the tiers (half of the first ¥50 per
    # donor), and the sponsor's own people are never matched.
    one, tiered, member = world.one_to_one.pk, world.tiered.pk, world.donors[2].pk
    assert not [m for m in snap.matches if m[0] == tiered and m[1] == member]
    for m in snap.matches:
        if m[0] == one:
            assert m[4] <= min(A_PLEDGE_CAP, m[3]), m
    for donor in world.donors:
        mine = [m for m in snap.matches if m[1] == donor.pk and holding(m)]
        assert sum((m[4] for m in mine if m[0] == one), ZERO) <= A_DONOR_CAP, donor.pk
        assert sum((m[4] for m in mine if m[0] == tiered), ZERO) <= B_PER_DONOR, donor.pk

    # Lines: confirmed = confirmed pledges + confirmed matches, never past the target,
    # not even with what is reserved.
    for pk, _listing, confirmed, target in snap.listing_lines:
        pledged = sum((p[2] for p in snap.pledges if p[1] == pk and p[3] == "confirmed"), ZERO)
        matched = sum((m[4] for m in snap.matches if m[2] == pk and m[5] == "confirmed"), ZERO)
        assert confirmed == pledged + matched, pk
        reserved = sum((p[2] for p in snap.pledges if p[1] == pk and reserving(p[3], p[4])), ZERO)
        reserved += sum(
            (m[4] for m in snap.matches if m[2] == pk and m[5] == "reserved" and m[6] > now), ZERO
        )
        assert confirmed + reserved <= target, pk

    # Escrows hold honoured payments + confirmed matches + hours − payouts (refunds and
    # returned matches have left).
    line_of_pledge = {p[0]: p[1] for p in snap.pledges}
    listing_of_line = {line[0]: line[1] for line in snap.listing_lines}
    escrow_of = {listing: pk for pk, (_c, _k, _b, listing) in snap.accounts.items() if listing}
    for listing in world.listings:
        escrow = escrow_of[listing.pk]
        honoured = sum(
            (
                p[3]
                for p in snap.payments
                if p[4] == PaymentStatus.SUCCEEDED
                and p[7] is not None
                and listing_of_line[line_of_pledge[p[1]]] == listing.pk
            ),
            ZERO,
        )
        matched = sum(
            (
                m[4]
                for m in snap.matches
                if m[5] == "confirmed" and listing_of_line[m[2]] == listing.pk
            ),
            ZERO,
        )
        hours = sum(
            (
                amount
                for _pk, account, amount, _t, kind, *_rest in snap.lines
                if account == escrow and kind == TransactionKind.HOURS_MATCH
            ),
            ZERO,
        )
        expected = honoured + matched + hours - snap.paid_out[listing.pk]
        assert snap.accounts[escrow][2] == expected, listing.kind

    # Each received payment is posted once (a webhook applied twice posts once); money
    # received but not honoured waits in its provider's clearing account.
    postings = defaultdict(int)
    for _pk, _account, amount, _t, kind, _campaign, pledge, reference in snap.lines:
        if kind == TransactionKind.PAYMENT and amount > 0:
            postings[(pledge, reference)] += 1  # two positive lines: clearing, escrow
    received = [p for p in snap.payments if p[4] in RECEIVED]
    for p in received:
        honoured = p[7] is not None
        assert postings[(p[1], p[5] or p[6])] == (2 if honoured else 1), p
    assert sum(postings.values()) == sum(2 if p[7] is not None else 1 for p in received)
    for provider in ("offline", "stripe"):
        due = sum(
            (
                p[3]
                for p in snap.payments
                if p[2] == provider and p[4] == "succeeded" and p[7] is None
            ),
            ZERO,
        )
        clearing = [
            b for (code, _k, b, _l) in snap.accounts.values() if code == f"clearing:{provider}"
        ]
        assert (clearing[0] if clearing else ZERO) == due, provider
    assert snap.webhook_events == len(machine.events)  # each event stored (and applied) once

    # Every refund Stripe made is on the record.
    refunded_at_stripe = {r.headers["Idempotency-Key"] for r in machine.fake.posts("/v1/refunds")}
    recorded = {
        f"linli-refund-{p[0]}" for p in snap.payments if p[2] == "stripe" and p[4] == "refunded"
    }
    assert refunded_at_stripe == recorded


def test_the_money_is_right_after_any_sequence_of_steps(world):
    LedgerMachine.world = world
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=int(os.environ.get("LEDGER_EXAMPLES", "25")),
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# --- What the machine found, step by step ----------------------------------------------------


def _lapse(*pledges: Pledge) -> None:
    past = timezone.now() - timedelta(seconds=1)
    ids = [p.pk for p in pledges]
    Pledge.objects.filter(pk__in=ids).update(expires_at=past)
    Match.objects.filter(pledge_id__in=ids).update(expires_at=past)


def _offline_started(pledge: Pledge) -> Payment:
    return payments.payment_start(pledge=pledge, provider_id="offline")


def _arrives(payment: Payment) -> Payment:
    return payments.payment_succeeded(payment=payment, receipt_number=f"BANK-{next(_numbers):06d}")


def test_a_late_payment_gets_no_more_than_the_tiers_give(
    money_line, make_user, city_fund, city_admin
):
    campaign = make_campaign(city_fund, city_admin, tiers=HALF_ON_FIRST_50)
    donor = make_user()
    first = services.pledge_create(donor=donor, line=money_line, quantity=Decimal("50"))
    on_its_way = _offline_started(first)
    _lapse(first)  # the transfer is slow; the reservation lapses
    second = services.pledge_create(donor=donor, line=money_line, quantity=Decimal("50"))
    assert Match.objects.get(pledge=second).amount == Decimal(
        "25.00"
    )  # the lapsed one holds nothing
    _arrives(payments.payment_start(pledge=second, provider_id="offline"))

    _arrives(on_its_way)  # the first transfer arrives after all

    assert Pledge.objects.get(pk=first.pk).status == PledgeStatus.CONFIRMED
    matched = Match.objects.filter(campaign=campaign, donor=donor).holding().total()
    assert matched == Decimal("25.00")  # half of the first ¥50, however the money came
    campaign.refresh_from_db()
    assert campaign.matched == Decimal("25.00")
    assert_ledger_consistent()


def test_a_late_payment_is_matched_alike_before_and_after_the_tidy_up(
    money_line, make_user, city_fund, city_admin
):
    make_campaign(city_fund, city_admin)
    before, after = (
        services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
        for _ in range(2)
    )
    started = [_offline_started(before), _offline_started(after)]
    _lapse(before, after)

    _arrives(started[0])
    services.reservations_expire()  # marks the lapsed reservation of `after` released
    _arrives(started[1])

    for pledge in (before, after):
        match = Match.objects.get(pledge=pledge)
        assert (match.status, match.amount) == (MatchStatus.CONFIRMED, Decimal("100.00"))
    money_line.refresh_from_db()
    assert money_line.confirmed == Decimal("400.00")
    assert_ledger_consistent()


def test_a_refund_the_escrow_cannot_cover_is_refused_before_stripe_moves_money(
    city, money_line, make_user, city_fund, city_admin, stripe_fake, client
):
    make_campaign(city_fund, city_admin)
    project = services.listing_publish(
        source=city.station_north,
        kind="project",
        title="长者饭堂改造",
        story="翻新厨房。",
        category="elder_care",
        community=city.north_a,
        lines=[services.LineSpec(kind="money", target=Decimal("400"))],
    )
    pledge = services.pledge_create(
        donor=make_user(), line=project.lines.get(), quantity=Decimal("100")
    )
    payment = payments.payment_start(pledge=pledge, provider_id="stripe")
    base.get("stripe").start(payment)
    payment.refresh_from_db()
    assert (
        _post(client, _event("checkout.session.completed", payment, stripe_fake)).status_code == 200
    )
    assert ledger.escrow(project).balance == Decimal("200.00")  # ¥100 and its match
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    stage = funds.disbursement_request(
        actor=city_admin,
        listing=project,
        amount=Decimal("150"),
        payee_kind=PayeeKind.CONTRACTOR,
        payee_name="某装修公司",
    )
    funds.disbursement_approve(actor=reviewer, disbursement=stage, payment_reference="付-1")

    # ¥50 is left: enough for the donor's ¥100? No; and the match must go back too.
    with pytest.raises(LinliError):
        payments.payment_refund(payment=payment, actor=city_admin, reason="捐赠人要求退款")

    assert not stripe_fake.posts("/v1/refunds")  # no money left Stripe
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert_ledger_consistent()


def test_a_refund_that_the_escrow_covers_only_without_the_match_is_refused_too(
    city, make_user, city_fund, city_admin, stripe_fake, client
):
    make_campaign(city_fund, city_admin)
    project = services.listing_publish(
        source=city.station_south,
        kind="project",
        title="社区图书角",
        story="添置书架。",
        category="elder_care",
        community=city.north_a,
        lines=[services.LineSpec(kind="money", target=Decimal("400"))],
    )
    pledge = services.pledge_create(
        donor=make_user(), line=project.lines.get(), quantity=Decimal("100")
    )
    payment = payments.payment_start(pledge=pledge, provider_id="stripe")
    base.get("stripe").start(payment)
    payment.refresh_from_db()
    _post(client, _event("checkout.session.completed", payment, stripe_fake))
    stage = funds.disbursement_request(
        actor=city_admin,
        listing=project,
        amount=Decimal("50"),
        payee_kind=PayeeKind.SUPPLIER,
        payee_name="书店",
    )
    funds.disbursement_approve(
        actor=make_user(Role.TOWN_REVIEWER, city.north),
        disbursement=stage,
        payment_reference="付-1",
    )
    # ¥150 is left: the donor's ¥100 fits, but not with the ¥100 match going back.
    with pytest.raises(LinliError):
        payments.payment_refund(payment=payment, actor=city_admin, reason="捐赠人要求退款")
    assert not stripe_fake.posts("/v1/refunds")
    assert_ledger_consistent()
