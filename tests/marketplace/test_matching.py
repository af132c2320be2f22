"""Matching: rules as data, reserved with the pledge, confirmed with the payment, never
past any cap, the line's target or what the fund holds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Membership
from marketplace import funds, ledger, matching, services
from marketplace.models import (
    Campaign,
    CampaignStatus,
    LedgerTransaction,
    Match,
    MatchStatus,
    Pledge,
    TransactionKind,
)
from marketplace.payments import services as payments
from tests.accounts.factories import OrganisationFactory
from tests.marketplace.funds_helpers import assert_ledger_consistent, make_campaign
from tests.marketplace.money import pay

pytestmark = pytest.mark.django_db

HALF_ON_FIRST_50 = [{"up_to": "50", "ratio": "0.50"}]


# --- The rules, pure --------------------------------------------------------------------


def test_tiers_give_the_ratio_on_the_part_of_the_running_total_they_cover():
    one_to_one = [{"up_to": None, "ratio": "1.00"}]
    assert matching.tier_match(one_to_one, Decimal(0), Decimal("80")) == Decimal("80.00")
    assert matching.tier_match(HALF_ON_FIRST_50, Decimal(0), Decimal("80")) == Decimal("25.00")
    assert matching.tier_match(HALF_ON_FIRST_50, Decimal("40"), Decimal("30")) == Decimal("5.00")
    assert matching.tier_match(HALF_ON_FIRST_50, Decimal("60"), Decimal("30")) == Decimal("0.00")
    stepped = [{"up_to": "100", "ratio": "1"}, {"up_to": None, "ratio": "0.5"}]
    assert matching.tier_match(stepped, Decimal("50"), Decimal("100")) == Decimal("75.00")


@given(
    st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
        min_size=1,
        max_size=20,
    )
)
def test_splitting_a_gift_into_small_pledges_never_gets_more_match(parts):
    tiers = [{"up_to": "50", "ratio": "0.5"}, {"up_to": "200", "ratio": "0.25"}]
    whole = matching.tier_match(tiers, Decimal(0), sum(parts))
    prior, split = Decimal(0), Decimal(0)
    for part in parts:
        split += matching.tier_match(tiers, prior, part)
        prior += part
    assert split <= whole


def test_invalid_tiers_are_refused():
    assert not matching.tiers_valid([])
    assert not matching.tiers_valid([{"up_to": None, "ratio": "1"}, {"up_to": "50", "ratio": "1"}])
    assert not matching.tiers_valid([{"up_to": "50", "ratio": "0"}])
    assert not matching.tiers_valid([{"up_to": "50", "ratio": "1"}, {"up_to": "40", "ratio": "1"}])
    assert matching.tiers_valid([{"up_to": "50", "ratio": "1"}, {"up_to": None, "ratio": "0.5"}])


# --- Reserve, confirm, release, return ----------------------------------------------------


def test_a_paid_pledge_is_matched_and_posted(money_line, make_user, city_fund, city_admin):
    campaign = make_campaign(city_fund, city_admin)
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("200"))
    match = Match.objects.get(pledge=pledge)
    assert (match.amount, match.status) == (Decimal("200.00"), MatchStatus.RESERVED)
    assert match.expires_at == pledge.expires_at
    # The reservation holds room on the line for the match too.
    assert services.line_remaining(money_line) == Decimal("800.00")  # ¥1,200 − 200 − 200

    pay(pledge)

    match.refresh_from_db()
    money_line.refresh_from_db()
    campaign.refresh_from_db()
    city_fund.account.refresh_from_db()
    assert match.status == MatchStatus.CONFIRMED
    assert money_line.confirmed == Decimal("400.00")
    assert campaign.matched == Decimal("200.00")
    assert city_fund.account.balance == Decimal("99800.00")
    assert ledger.escrow(money_line.listing).balance == Decimal("400.00")
    kinds = set(LedgerTransaction.objects.filter(pledge=pledge).values_list("kind", flat=True))
    assert kinds == {TransactionKind.PAYMENT, TransactionKind.MATCH}
    assert_ledger_consistent()


def test_the_match_takes_only_the_room_the_pledge_leaves(
    money_line, make_user, city_fund, city_admin
):
    make_campaign(city_fund, city_admin)
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("900"))
    assert Match.objects.get(pledge=pledge).amount == Decimal("300.00")  # the ¥1,200 line is full
    assert services.line_remaining(money_line) == Decimal("0.00")


def test_a_nearly_empty_pool_matches_what_remains_then_nothing(
    money_line, make_user, city_fund, city_admin
):
    make_campaign(city_fund, city_admin, pool_cap=Decimal("150"))
    first = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    second = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    third = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    assert Match.objects.get(pledge=first).amount == Decimal("100.00")
    assert Match.objects.get(pledge=second).amount == Decimal("50.00")
    assert not Match.objects.filter(pledge=third).exists()


def test_a_lapsed_reservation_frees_the_pool_at_once(money_line, make_user, city_fund, city_admin):
    make_campaign(city_fund, city_admin, pool_cap=Decimal("100"))
    first = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    Pledge.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    Match.objects.filter(pledge=first).update(expires_at=timezone.now() - timedelta(seconds=1))
    second = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    assert Match.objects.get(pledge=second).amount == Decimal("100.00")


def test_a_cancelled_pledge_releases_its_match(money_line, make_user, city_fund, city_admin):
    make_campaign(city_fund, city_admin)
    donor = make_user()
    pledge = services.pledge_create(donor=donor, line=money_line, quantity=Decimal("100"))
    services.pledge_cancel(actor=donor, pledge=pledge)
    assert Match.objects.get(pledge=pledge).status == MatchStatus.RELEASED


def test_a_refund_returns_the_match_to_its_fund(money_line, make_user, city_fund, city_admin, city):
    campaign = make_campaign(city_fund, city_admin)
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("300"))
    payment = pay(pledge)

    payments.payment_refund(
        payment=payment, actor=city_admin, reason="捐赠人要求退款", refund_reference="退-1"
    )

    money_line.refresh_from_db()
    campaign.refresh_from_db()
    city_fund.account.refresh_from_db()
    assert Match.objects.get(pledge=pledge).status == MatchStatus.RETURNED
    assert money_line.confirmed == Decimal("0.00")
    assert campaign.matched == Decimal("0.00")
    assert city_fund.account.balance == Decimal("100000.00")
    assert ledger.escrow(money_line.listing).balance == Decimal("0.00")
    assert_ledger_consistent()


def test_the_sponsors_own_people_are_not_matched(money_line, make_user, city, city_admin):
    company = OrganisationFactory(region=city.city)
    boss = make_user()
    Membership.objects.create(organisation=company, user=boss, is_admin=True)
    fund = funds.fund_create(
        actor=boss, name="爱心企业基金", owner="company", region=city.city, organisation=company
    )
    funds.fund_top_up(
        actor=boss, fund=fund, kind="donation", amount=Decimal("5000"), reference="R1"
    )
    make_campaign(fund, boss)
    staff_member = make_user()
    Membership.objects.create(organisation=company, user=staff_member)

    own = services.pledge_create(donor=staff_member, line=money_line, quantity=Decimal("50"))
    other = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("50"))

    assert not Match.objects.filter(pledge=own).exists()
    assert Match.objects.filter(pledge=other).exists()


def test_many_small_pledges_stop_at_the_donor_cap(money_line, make_user, city_fund, city_admin):
    make_campaign(city_fund, city_admin, per_donor_cap=Decimal("30"), tiers=HALF_ON_FIRST_50)
    donor = make_user()
    for _ in range(8):
        pay(services.pledge_create(donor=donor, line=money_line, quantity=Decimal("10")))
    total = Match.objects.filter(donor=donor).holding().total()
    assert total == Decimal("25.00")  # half of the first ¥50, in five pledges; then nothing


def test_eligibility_by_kind_category_region_and_window(
    money_line, make_user, city, city_fund, city_admin
):
    listing = money_line.listing
    rules = [
        {"categories": ["education"] if listing.category != "education" else ["housing"]},
        {"listing_kinds": ["project"]},
        {"donor_kinds": ["company"]},
        {"region": city.south},
        {"starts_at": timezone.now() + timedelta(days=1)},
    ]
    for n, rule in enumerate(rules):
        make_campaign(city_fund, city_admin, name=f"不适用{n}", **rule)
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("50"))
    assert not Match.objects.filter(pledge=pledge).exists()


def test_a_paused_campaign_reserves_nothing_but_honours_what_it_reserved(
    money_line, make_user, city_fund, city_admin
):
    campaign = make_campaign(city_fund, city_admin)
    before = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    funds.campaign_move(
        actor=city_admin, campaign=campaign, to=CampaignStatus.PAUSED, reason="核对"
    )
    after = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    pay(before)
    assert Match.objects.get(pledge=before).status == MatchStatus.CONFIRMED
    assert not Match.objects.filter(pledge=after).exists()
    assert Campaign.objects.get(pk=campaign.pk).matched == Decimal("100.00")
