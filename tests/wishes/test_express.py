"""Express funding: a published express wish is paid straight from a fund (and resolved),
and a direct wish nobody took up by its deadline falls back to it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import AuditEvent
from accounts.roles import Role
from marketplace import funds, services
from marketplace.models import (
    ClaimStatus,
    FundGrant,
    FundOwner,
    LedgerTransaction,
    Listing,
    ListingStatus,
    Match,
    MatchStatus,
    PledgeStatus,
    TopUpKind,
    TransactionKind,
)
from tests.marketplace.funds_helpers import assert_ledger_consistent, make_campaign
from tests.marketplace.money import pay
from tests.wishes.factories import make_wish
from wishes import services as wishes
from wishes.exceptions import ReasonRequired, RouteDetailsMissing
from wishes.models import Route, Status, Wish

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_admin(city, make_user):
    return make_user(Role.CITY_ADMIN, city.city)


@pytest.fixture
def city_fund(city, city_admin):
    """The city's special fund, holding ¥100,000 (as in the marketplace tests)."""
    fund = funds.fund_create(
        actor=city_admin, name="东莞市专项资金", owner=FundOwner.CITY, region=city.city
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=fund,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("100000"),
        reference="东财〔2026〕1号",
    )
    return fund


@pytest.fixture
def north_fund(city, people):
    """The north town's fund, holding ¥5,000 (its reviewer manages it)."""
    fund = funds.fund_create(
        actor=people.north_reviewer,
        name="北城街道救助资金",
        owner=FundOwner.TOWN,
        region=city.north,
        counterpart_ratio=Decimal("1.00"),
    )
    funds.fund_top_up(
        actor=people.north_reviewer,
        fund=fund,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("5000"),
        reference="北财〔2026〕3号",
    )
    return fund


def _express_wish(city, people, status=Status.PUBLISHED) -> Wish:
    return make_wish(
        people.north_staff,
        city.north_a,
        status=status,
        reviewer=people.north_reviewer,
        route=Route.EXPRESS,
    )


def _pay(wish, actor, fund, **changes):
    values = {
        "actor": actor,
        "wish": wish,
        "fund": fund,
        "payee_name": "陈师傅五金店",
        "payee_account": "6222 0200 1234",
        "payment_reference": "网银-20260301-01",
    }
    values.update(changes)
    return wishes.wish_express_pay(**values)


def _balance(fund) -> Decimal:
    fund.account.refresh_from_db()
    return fund.balance


# --- wish_express_pay ---------------------------------------------------------------------------


def test_an_express_wish_is_paid_from_the_fund_and_resolved(city, people, north_fund):
    wish = _express_wish(city, people)
    assert wish.status == Status.PUBLISHED and wish.express_amount == Decimal("800.00")
    assert not Listing.objects.of(wish).exists()  # not for donors

    grant = _pay(wish, people.north_reviewer, north_fund)

    wish.refresh_from_db()
    assert wish.status == Status.RESOLVED and wish.closed_at
    assert (grant.amount, grant.fund, grant.source, grant.region) == (
        Decimal("800.00"),
        north_fund,
        wish,
        city.north_a,
    )
    assert grant.transaction.kind == TransactionKind.GRANT
    assert grant.transaction.memo == wish.reference
    assert _balance(north_fund) == Decimal("4200.00")
    resolved = AuditEvent.objects.get(verb="wish.resolved", target_id=str(wish.pk))
    assert resolved.data["grant"] == grant.pk and resolved.data["amount"] == "800.00"
    assert AuditEvent.objects.filter(verb="fund.grant", target_id=str(grant.pk)).exists()
    # The payee's bank account is kept encrypted and never written to the trail.
    assert all("6222" not in str(e.data) for e in AuditEvent.objects.all())
    assert_ledger_consistent()


def test_an_express_wish_is_paid_once(city, people, north_fund):
    wish = _express_wish(city, people)
    _pay(wish, people.north_reviewer, north_fund)
    with pytest.raises(funds.NotExpress):
        _pay(wish, people.north_reviewer, north_fund, payment_reference="网银-2")
    assert FundGrant.objects.count() == 1
    assert _balance(north_fund) == Decimal("4200.00")


def test_only_a_published_express_wish_is_paid(city, people, north_fund):
    direct = make_wish(
        people.north_staff, city.north_a, status=Status.PUBLISHED, reviewer=people.north_reviewer
    )
    on_notice = _express_wish(city, people, status=Status.NOTICE)
    for wish in (direct, on_notice):
        with pytest.raises(funds.NotExpress):
            _pay(wish, people.north_reviewer, north_fund)
    assert Wish.objects.get(pk=direct.pk).status == Status.PUBLISHED
    assert Wish.objects.get(pk=on_notice.pk).status == Status.NOTICE
    assert not FundGrant.objects.exists() and _balance(north_fund) == Decimal("5000.00")


def test_only_a_reviewer_of_the_wishs_area_pays(city, people, north_fund, make_user):
    wish = _express_wish(city, people)
    for actor in (people.north_staff, people.south_reviewer, people.resident):
        with pytest.raises(NotPermitted):
            _pay(wish, actor, north_fund)
    supervisor = make_user(Role.SUPERVISOR, city.city)
    with pytest.raises(NotPermitted):
        _pay(wish, supervisor, north_fund)
    assert Wish.objects.get(pk=wish.pk).status == Status.PUBLISHED
    assert not FundGrant.objects.exists()


def test_a_reviewer_pays_only_from_a_fund_they_manage(city, people, city_fund):
    wish = _express_wish(city, people)
    with pytest.raises(NotPermitted):  # the city's fund is the city admins'
        _pay(wish, people.north_reviewer, city_fund)
    assert Wish.objects.get(pk=wish.pk).status == Status.PUBLISHED


def test_a_fund_short_of_money_pays_nothing_and_the_wish_stays_published(city, people, north_fund):
    wish = _express_wish(city, people)
    funds.fund_grant(
        actor=people.north_reviewer,
        fund=north_fund,
        source=people.resident,  # anything that is not this wish
        region=city.north_a,
        amount=Decimal("4500"),
        payee_name="另一户",
        payee_account="",
        payment_reference="网银-0",
    )
    with pytest.raises(funds.InsufficientFunds) as refused:
        _pay(wish, people.north_reviewer, north_fund)
    assert "¥500.00" in str(refused.value)
    wish.refresh_from_db()
    assert wish.status == Status.PUBLISHED and wish.closed_at is None
    assert not AuditEvent.objects.filter(verb="wish.resolved").exists()
    assert FundGrant.objects.count() == 1 and _balance(north_fund) == Decimal("500.00")
    assert_ledger_consistent()


def test_a_fund_whose_money_is_promised_to_matches_pays_nothing(
    city, people, city_fund, city_admin, make_user
):
    wish = _express_wish(city, people)
    _other, listing = _direct_wish(city, people)
    money_line = listing.lines.get(kind="money")
    grant = funds.fund_grant(
        actor=city_admin,
        fund=city_fund,
        source=people.resident,
        region=city.north_a,
        amount=Decimal("99000"),
        payee_name="另一户",
        payee_account="",
        payment_reference="网银-0",
    )
    assert grant.amount == Decimal("99000.00")
    make_campaign(city_fund, city_admin)
    services.pledge_create(
        donor=make_user(), line=money_line, quantity=Decimal("300")
    )  # reserves 300
    with pytest.raises(funds.InsufficientFunds):  # ¥1,000 held, ¥300 promised, ¥800 asked
        _pay(wish, city_admin, city_fund)
    assert Wish.objects.get(pk=wish.pk).status == Status.PUBLISHED
    assert_ledger_consistent()


def test_payment_details_are_required(city, people, north_fund):
    wish = _express_wish(city, people)
    with pytest.raises(funds.PayeeRequired):
        _pay(wish, people.north_reviewer, north_fund, payee_name="  ")
    with pytest.raises(funds.ReferenceRequired):
        _pay(wish, people.north_reviewer, north_fund, payment_reference="")
    assert Wish.objects.get(pk=wish.pk).status == Status.PUBLISHED
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.GRANT).exists()


# --- wish_express_fallback ----------------------------------------------------------------------


def _direct_wish(city, people) -> tuple[Wish, Listing]:
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.PUBLISHED, reviewer=people.north_reviewer
    )
    return wish, Listing.objects.of(wish).get()


def _past_deadline(listing: Listing) -> None:
    Listing.objects.filter(pk=listing.pk).update(deadline=timezone.localdate() - timedelta(days=1))


def _fallback(wish, actor, amount="1000", reason="截止日期已过，无人认领"):
    return wishes.wish_express_fallback(
        actor=actor, wish=wish, amount=Decimal(amount) if amount else None, reason=reason
    )


def test_a_direct_wish_nobody_took_up_falls_back_to_express(
    city, people, city_fund, city_admin, north_fund, make_user
):
    wish, listing = _direct_wish(city, people)
    make_campaign(city_fund, city_admin)
    line = listing.lines.get(kind="money")
    donor = make_user()
    pending = services.pledge_create(donor=donor, line=line, quantity=Decimal("100"))
    match = Match.objects.get(pledge=pending)
    assert match.status == MatchStatus.RESERVED
    _past_deadline(listing)

    wish = _fallback(wish, people.north_reviewer)

    assert (wish.route, wish.express_amount, wish.status) == (
        Route.EXPRESS,
        Decimal("1000"),
        Status.PUBLISHED,
    )
    listing.refresh_from_db()
    pending.refresh_from_db()
    match.refresh_from_db()
    assert listing.status == ListingStatus.CANCELLED
    assert pending.status == PledgeStatus.CANCELLED
    assert match.status == MatchStatus.RELEASED
    assert services.line_remaining(line) == line.target
    event = AuditEvent.objects.get(verb="wish.express_fallback", target_id=str(wish.pk))
    assert event.reason == "截止日期已过，无人认领" and event.actor == people.north_reviewer
    assert event.data == {"listing": listing.pk, "amount": "1000"}
    assert AuditEvent.objects.filter(verb="listing.cancel", target_id=str(listing.pk)).exists()

    # The wish is now paid like any express wish.
    _pay(wish, people.north_reviewer, north_fund)
    assert Wish.objects.get(pk=wish.pk).status == Status.RESOLVED
    assert_ledger_consistent()


def test_no_fallback_before_the_deadline(city, people):
    wish, listing = _direct_wish(city, people)
    assert listing.deadline is not None and listing.deadline >= timezone.localdate()
    with pytest.raises(InvalidTransition):
        _fallback(wish, people.north_reviewer)
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.OPEN
    assert Wish.objects.get(pk=wish.pk).route == Route.DIRECT


def test_no_fallback_once_anything_is_confirmed(city, people, make_user):
    wish, listing = _direct_wish(city, people)
    pay(
        services.pledge_create(
            donor=make_user(), line=listing.lines.get(kind="money"), quantity=Decimal("10")
        )
    )
    _past_deadline(listing)
    with pytest.raises(InvalidTransition):
        _fallback(wish, people.north_reviewer)
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.OPEN
    assert Wish.objects.get(pk=wish.pk).route == Route.DIRECT


def test_no_fallback_while_a_donor_holds_a_claim(city, people, make_user):
    wish, listing = _direct_wish(city, people)
    claim = services.claim_create(donor=make_user(), listing=listing)
    _past_deadline(listing)
    with pytest.raises(InvalidTransition):
        _fallback(wish, people.north_reviewer)
    # Once the claim has lapsed, the wish may fall back.
    type(claim).objects.filter(pk=claim.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _fallback(wish, people.north_reviewer)
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.CANCELLED
    claim.refresh_from_db()
    assert claim.status in (ClaimStatus.RELEASED, ClaimStatus.EXPIRED)


def test_no_fallback_for_a_wish_that_is_not_open_and_direct(city, people, north_fund):
    express = _express_wish(city, people)
    with pytest.raises(InvalidTransition):
        _fallback(express, people.north_reviewer)
    wish, listing = _direct_wish(city, people)
    _past_deadline(listing)
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.FULLY_PLEDGED)
    with pytest.raises(InvalidTransition):
        _fallback(wish, people.north_reviewer)
    assert Wish.objects.get(pk=wish.pk).route == Route.DIRECT


def test_a_fallback_needs_a_reviewer_a_reason_and_an_amount(city, people):
    wish, listing = _direct_wish(city, people)
    _past_deadline(listing)
    for actor in (people.north_staff, people.south_reviewer, people.resident):
        with pytest.raises(NotPermitted):
            _fallback(wish, actor)
    with pytest.raises(ReasonRequired):
        _fallback(wish, people.north_reviewer, reason="  ")
    for amount in (None, "0", "-5"):
        with pytest.raises(RouteDetailsMissing):
            _fallback(wish, people.north_reviewer, amount=amount)
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.OPEN
    assert not AuditEvent.objects.filter(verb="wish.express_fallback").exists()
