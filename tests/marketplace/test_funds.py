"""Funds and the money through them: who opens and fills a fund, allocations to towns and
their counterpart deposits, express grants under the fund's lock, matching campaigns'
workflow, disbursements with four eyes, and matching volunteer hours."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import Conflict, InvalidTransition, NotPermitted
from accounts.models import AuditEvent, Membership
from accounts.roles import Role
from marketplace import funds, ledger, services
from marketplace.models import (
    Campaign,
    CampaignStatus,
    Disbursement,
    DisbursementStatus,
    Fund,
    FundOwner,
    FundTopUp,
    LedgerTransaction,
    Listing,
    ListingStatus,
    Match,
    PayeeKind,
    TopUpKind,
    TransactionKind,
)
from marketplace.staff_services import ReasonRequired, listing_cancel, listing_delivered
from tests.accounts.factories import OrganisationFactory
from tests.marketplace.funds_helpers import assert_ledger_consistent, make_campaign
from tests.marketplace.money import pay
from tests.wishes.factories import make_wish
from wishes.models import Status
from wishes.services import NeedLine

pytestmark = pytest.mark.django_db

ONE_TO_ONE = [{"up_to": None, "ratio": "1.00"}]


def _audited(verb: str, target) -> bool:
    return AuditEvent.objects.filter(verb=verb, target_id=str(target.pk)).exists()


def _rules(region, **changes) -> funds.CampaignRules:
    values = {
        "name": "一元配一元",
        "tiers": ONE_TO_ONE,
        "pool_cap": Decimal("1000"),
        "region": region,
        "starts_at": timezone.now() - timedelta(hours=1),
    }
    values.update(changes)
    return funds.CampaignRules(**values)


@pytest.fixture
def north_reviewer(city, make_user):
    return make_user(Role.TOWN_REVIEWER, city.north)


@pytest.fixture
def company(city):
    return OrganisationFactory(region=city.city)


@pytest.fixture
def company_admin(company, make_user):
    boss = make_user()
    Membership.objects.create(organisation=company, user=boss, is_admin=True)
    return boss


def _town_fund(actor, region, ratio: str, name: str):
    return funds.fund_create(
        actor=actor,
        name=name,
        owner=FundOwner.TOWN,
        region=region,
        counterpart_ratio=Decimal(ratio),
    )


def _money_listing(city, make_user, amount: str = "300") -> Listing:
    """A published direct wish at north_a needing only money."""
    wish = make_wish(
        make_user(Role.STATION_STAFF, city.north_a),
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=make_user(Role.TOWN_REVIEWER, city.north),
        needs=[NeedLine(kind="money", amount=Decimal(amount))],
    )
    return Listing.objects.of(wish).get()


def _project_listing(city, amount: str = "600") -> Listing:
    """A community project at north_a, published with one money line."""
    return services.listing_publish(
        source=OrganisationFactory(region=city.north_a),
        kind="project",
        title="社区长者饭堂改造",
        story="旧厨房翻新，添置消毒柜。",
        category="elder_care",
        community=city.north_a,
        lines=[services.LineSpec(kind="money", target=Decimal(amount))],
    )


def _escrow(listing) -> Decimal:
    return ledger.escrow(listing).balance


# --- Opening funds --------------------------------------------------------------------------


def test_a_city_admin_opens_a_city_fund(city, city_admin):
    fund = funds.fund_create(
        actor=city_admin, name="市专项资金", owner=FundOwner.CITY, region=city.city
    )
    assert fund.account.kind == "fund" and fund.balance == 0
    assert fund.counterpart_ratio is None
    assert _audited("fund.create", fund)
    assert funds.may_manage_fund(city_admin, fund)
    assert list(funds.manageable_funds(city_admin)) == [fund]


def test_a_town_reviewer_opens_their_towns_fund_only(city, north_reviewer):
    fund = _town_fund(north_reviewer, city.north, "1.00", "北城街道配套资金")
    assert fund.counterpart_ratio == Decimal("1.00")
    with pytest.raises(NotPermitted):
        _town_fund(north_reviewer, city.south, "1.00", "南城街道配套资金")
    with pytest.raises(NotPermitted):
        funds.fund_create(
            actor=north_reviewer, name="市专项资金", owner=FundOwner.CITY, region=city.city
        )


def test_a_company_admin_opens_their_companys_fund(city, company, company_admin, make_user):
    fund = funds.fund_create(
        actor=company_admin,
        name="爱心企业基金",
        owner=FundOwner.COMPANY,
        region=city.city,
        organisation=company,
    )
    assert funds.may_manage_fund(company_admin, fund)
    assert list(funds.manageable_funds(company_admin)) == [fund]
    member = make_user()
    Membership.objects.create(organisation=company, user=member)
    stranger = make_user()
    for actor in (member, stranger):
        with pytest.raises(NotPermitted):
            funds.fund_create(
                actor=actor,
                name=f"冒名基金{actor.pk}",
                owner=FundOwner.COMPANY,
                region=city.city,
                organisation=company,
            )
        assert not funds.may_manage_fund(actor, fund)


def test_a_company_admin_cannot_open_a_public_fund(city, company, company_admin):
    """A city, town or federation fund is opened by the region's fund managers, even when
    an organisation is named on it."""
    for owner in (FundOwner.CITY, FundOwner.TOWN, FundOwner.CHARITY_FEDERATION):
        with pytest.raises(NotPermitted):
            funds.fund_create(
                actor=company_admin,
                name=f"冒名{owner}",
                owner=owner,
                region=city.city,
                organisation=company,
            )


def test_a_counterpart_ratio_is_kept_for_town_funds_only(city, city_admin):
    fund = funds.fund_create(
        actor=city_admin,
        name="市专项资金",
        owner=FundOwner.CITY,
        region=city.city,
        counterpart_ratio=Decimal("1.00"),
    )
    assert fund.counterpart_ratio is None


# --- Top-ups --------------------------------------------------------------------------------


def test_top_ups_of_each_kind_come_from_the_right_world_account(city, city_admin, north_reviewer):
    town = _town_fund(north_reviewer, city.north, "0.50", "北城街道配套资金")
    appropriation = funds.fund_top_up(
        actor=city_admin,
        fund=town,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("1000"),
        reference="A-1",
    )
    donation = funds.fund_top_up(
        actor=north_reviewer,
        fund=town,
        kind=TopUpKind.DONATION,
        amount=Decimal("200"),
        reference="D-1",
        source="王先生",
    )
    counterpart = funds.fund_top_up(
        actor=north_reviewer,
        fund=town,
        kind=TopUpKind.COUNTERPART,
        amount=Decimal("300.50"),
        reference="C-1",
    )
    kinds = {
        top_up.kind: (
            top_up.transaction.kind,
            top_up.transaction.lines.get(amount__lt=0).account.code,
        )
        for top_up in (appropriation, donation, counterpart)
    }
    assert kinds == {
        TopUpKind.APPROPRIATION: (TransactionKind.TOP_UP, ledger.PUBLIC_IN),
        TopUpKind.DONATION: (TransactionKind.TOP_UP, ledger.DONATIONS_IN),
        TopUpKind.COUNTERPART: (TransactionKind.COUNTERPART, ledger.PUBLIC_IN),
    }
    town.account.refresh_from_db()
    assert town.balance == Decimal("1500.50")
    assert appropriation.transaction.external_reference == "A-1"
    assert _audited("fund.counterpart", town) and _audited("fund.appropriation", town)
    assert_ledger_consistent()


def test_a_top_up_is_refused_twice_for_the_same_reference(city_fund, city_admin):
    before = LedgerTransaction.objects.count()
    with pytest.raises(Conflict):
        funds.fund_top_up(
            actor=city_admin,
            fund=city_fund,
            kind=TopUpKind.APPROPRIATION,
            amount=Decimal("5"),
            reference="东财〔2026〕1号",  # the fixture's
        )
    assert LedgerTransaction.objects.count() == before
    assert FundTopUp.objects.filter(fund=city_fund).count() == 1
    city_fund.account.refresh_from_db()
    assert city_fund.balance == Decimal("100000.00")
    assert_ledger_consistent()


def test_top_ups_refuse_bad_input_and_strangers(city, city_fund, city_admin, north_reviewer):
    top_up = {"fund": city_fund, "kind": TopUpKind.APPROPRIATION, "reference": "X-1"}
    with pytest.raises(funds.AmountInvalid):
        funds.fund_top_up(actor=city_admin, amount=Decimal("0"), **top_up)
    with pytest.raises(funds.AmountInvalid):
        funds.fund_top_up(actor=city_admin, amount=Decimal("-3"), **top_up)
    with pytest.raises(funds.ReferenceRequired):
        funds.fund_top_up(actor=city_admin, amount=Decimal("3"), **{**top_up, "reference": "  "})
    with pytest.raises(NotPermitted):
        funds.fund_top_up(actor=north_reviewer, amount=Decimal("3"), **top_up)
    with pytest.raises(funds.NoCounterpartRatio):
        funds.fund_top_up(
            actor=city_admin, amount=Decimal("3"), **{**top_up, "kind": TopUpKind.COUNTERPART}
        )
    city_fund.account.refresh_from_db()
    assert city_fund.balance == Decimal("100000.00")
    assert_ledger_consistent()


# --- Allocations and counterpart positions ---------------------------------------------------


def test_the_city_allocates_to_a_town_fund_within_what_is_free(
    city, city_fund, city_admin, north_reviewer
):
    north = _town_fund(north_reviewer, city.north, "1.00", "北城街道配套资金")
    allocation = funds.fund_allocate(
        actor=city_admin, source=city_fund, target=north, amount=Decimal("30000"), reference="拨-1"
    )
    assert allocation.transaction.kind == TransactionKind.ALLOCATION
    assert _audited("fund.allocate", allocation)
    with pytest.raises(funds.InsufficientFunds) as refused:
        funds.fund_allocate(
            actor=city_admin,
            source=city_fund,
            target=north,
            amount=Decimal("70000.01"),
            reference="拨-2",
        )
    assert "¥70,000.00" in str(refused.value)
    city_fund.account.refresh_from_db()
    north.account.refresh_from_db()
    assert (city_fund.balance, north.balance) == (Decimal("70000.00"), Decimal("30000.00"))
    # The town's reviewer manages the town fund, not the city's.
    with pytest.raises(NotPermitted):
        funds.fund_allocate(
            actor=north_reviewer,
            source=city_fund,
            target=north,
            amount=Decimal("1"),
            reference="拨-3",
        )
    assert_ledger_consistent()


def test_an_allocation_leaves_what_reserved_matches_promise(
    city, city_fund, city_admin, north_reviewer, money_line, make_user
):
    north = _town_fund(north_reviewer, city.north, "1.00", "北城街道配套资金")
    make_campaign(city_fund, city_admin)
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("300"))
    with pytest.raises(funds.InsufficientFunds):
        funds.fund_allocate(
            actor=city_admin,
            source=city_fund,
            target=north,
            amount=Decimal("99700.01"),
            reference="拨-1",
        )
    funds.fund_allocate(
        actor=city_admin, source=city_fund, target=north, amount=Decimal("99700"), reference="拨-1"
    )
    city_fund.account.refresh_from_db()
    assert city_fund.balance == Decimal("300.00") and funds.available(city_fund) == 0
    assert_ledger_consistent()


def test_allocations_go_only_to_town_funds_inside_the_sources_region(
    city, city_fund, city_admin, north_reviewer, make_user, company, company_admin
):
    north = _town_fund(north_reviewer, city.north, "1.00", "北城街道配套资金")
    south = _town_fund(city_admin, city.south, "1.00", "南城街道配套资金")
    funds.fund_top_up(
        actor=north_reviewer,
        fund=north,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("100"),
        reference="N-1",
    )
    company_fund = funds.fund_create(
        actor=company_admin,
        name="企业基金",
        owner=FundOwner.COMPANY,
        region=city.city,
        organisation=company,
    )
    refusals = [
        (city_admin, city_fund, company_fund),  # not a town's fund
        (city_admin, city_fund, city_fund),  # itself
        (north_reviewer, north, south),  # a town fund outside the source's region
        (north_reviewer, north, north),
    ]
    for actor, source, target in refusals:
        with pytest.raises(funds.NotATownFund):
            funds.fund_allocate(
                actor=actor, source=source, target=target, amount=Decimal("10"), reference="拨-X"
            )
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.ALLOCATION).exists()
    assert_ledger_consistent()


def test_counterpart_positions_of_one_to_one_and_half_towns(
    city, city_fund, city_admin, django_assert_num_queries
):
    north = _town_fund(city_admin, city.north, "1.00", "北城街道配套资金")
    south = _town_fund(city_admin, city.south, "0.50", "南城街道配套资金")
    for town, amount in ((north, "1000"), (south, "1000"), (north, "500")):
        funds.fund_allocate(
            actor=city_admin,
            source=city_fund,
            target=town,
            amount=Decimal(amount),
            reference=f"拨-{town.pk}-{amount}",
        )
    for town, amount, reference in (
        (north, "400", "C-N1"),
        (south, "300", "C-S1"),
        (south, "200.01", "C-S2"),
    ):
        funds.fund_top_up(
            actor=city_admin,
            fund=town,
            kind=TopUpKind.COUNTERPART,
            amount=Decimal(amount),
            reference=reference,
        )
    with django_assert_num_queries(3):
        rows = {row.fund.pk: row for row in funds.counterparts(funds.Fund.objects.all())}
    assert set(rows) == {north.pk, south.pk}  # the city fund owes no counterpart
    n, s = rows[north.pk], rows[south.pk]
    assert (n.ratio, n.allocated, n.owed, n.deposited) == (
        Decimal("1.00"),
        Decimal("1500.00"),
        Decimal("1500.00"),
        Decimal("400.00"),
    )
    assert (n.outstanding, n.compliant, n.percent) == (Decimal("1100.00"), False, 26)
    assert (s.allocated, s.owed, s.deposited) == (
        Decimal("1000.00"),
        Decimal("500.00"),
        Decimal("500.01"),
    )
    assert (s.outstanding, s.compliant, s.percent) == (Decimal("0.00"), True, 100)
    # A town with nothing allocated yet owes nothing and is compliant.
    east = funds.fund_create(
        actor=city_admin,
        name="东城街道配套资金",
        owner=FundOwner.TOWN,
        region=city.north_b,
        counterpart_ratio=Decimal("1"),
    )
    with django_assert_num_queries(3):
        rows = {row.fund.pk: row for row in funds.counterparts(funds.Fund.objects.all())}
    assert (rows[east.pk].owed, rows[east.pk].compliant, rows[east.pk].percent) == (0, True, 100)
    assert_ledger_consistent()


# --- Express grants -------------------------------------------------------------------------


def _grant(fund, actor, source, region, amount: str, **changes):
    values = {
        "actor": actor,
        "fund": fund,
        "source": source,
        "region": region,
        "amount": Decimal(amount),
        "payee_name": "李某某",
        "payee_account": "6222 0000 1111",
        "payment_reference": "转账-001",
    }
    values.update(changes)
    return funds.fund_grant(**values)


def test_a_grant_pays_out_of_the_fund(city, city_fund, city_admin, money_line):
    grant = _grant(city_fund, city_admin, money_line.listing, city.north_a, "800")
    assert grant.transaction.kind == TransactionKind.GRANT
    assert grant.transaction.lines.get(amount__gt=0).account.code == ledger.PAYOUTS
    assert grant.transaction.external_reference == "转账-001"
    city_fund.account.refresh_from_db()
    assert city_fund.balance == Decimal("99200.00")
    event = AuditEvent.objects.get(verb="fund.grant", target_id=str(grant.pk))
    assert "李某某" not in str(event.data) and "6222" not in str(event.data)
    assert "李某某" not in event.target_label
    assert_ledger_consistent()


def test_a_source_is_granted_once(city, city_fund, city_admin, money_line):
    _grant(city_fund, city_admin, money_line.listing, city.north_a, "800")
    with pytest.raises(funds.AlreadyGranted):
        _grant(city_fund, city_admin, money_line.listing, city.north_a, "10")
    city_fund.account.refresh_from_db()
    assert city_fund.balance == Decimal("99200.00")
    assert LedgerTransaction.objects.filter(kind=TransactionKind.GRANT).count() == 1


def test_a_fund_name_is_taken_once_whatever_its_case(city, city_fund, city_admin):
    with pytest.raises(funds.FundNameTaken):
        funds.fund_create(
            actor=city_admin, name=f"  {city_fund.name} ", owner=FundOwner.CITY, region=city.city
        )
    with pytest.raises(funds.FundNameTaken):
        funds.fund_create(actor=city_admin, name="A Fund", owner=FundOwner.CITY, region=city.city)
        funds.fund_create(actor=city_admin, name="a fund", owner=FundOwner.CITY, region=city.city)
    assert Fund.objects.filter(name__iexact="a fund").count() == 1


def test_a_reserved_match_blocks_the_grant_of_the_money_it_promises(
    city, city_fund, city_admin, money_line, make_user
):
    make_campaign(city_fund, city_admin)
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("200"))
    assert Match.objects.get(pledge=pledge).amount == Decimal("200.00")
    city_fund.account.refresh_from_db()
    assert funds.available(city_fund) == Decimal("99800.00")
    with pytest.raises(funds.InsufficientFunds) as refused:
        _grant(city_fund, city_admin, money_line.listing, city.north_a, "99800.01")
    assert "¥99,800.00" in str(refused.value)
    _grant(city_fund, city_admin, money_line.listing, city.north_a, "99800")
    city_fund.account.refresh_from_db()
    assert funds.available(city_fund) == 0
    pay(pledge)  # the promise is kept: the match is paid from the money held back for it
    city_fund.account.refresh_from_db()
    assert city_fund.balance == 0 and funds.available(city_fund) == 0
    assert _escrow(money_line.listing) == Decimal("400.00")
    assert_ledger_consistent()


def test_grants_refuse_strangers_other_regions_and_bad_input(
    city, city_fund, city_admin, north_reviewer, money_line
):
    source = money_line.listing
    north = _town_fund(north_reviewer, city.north, "1.00", "北城街道配套资金")
    funds.fund_top_up(
        actor=north_reviewer,
        fund=north,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("1000"),
        reference="N-1",
    )
    with pytest.raises(NotPermitted):  # the town reviewer does not manage the city's fund
        _grant(city_fund, north_reviewer, source, city.north_a, "10")
    with pytest.raises(NotPermitted):  # nor pay out in another town
        _grant(north, north_reviewer, source, city.south_a, "10")
    with pytest.raises(funds.OutsideRegion):  # the north fund gives in the north only
        _grant(north, city_admin, source, city.south_a, "10")
    with pytest.raises(funds.InsufficientFunds):
        _grant(north, north_reviewer, source, city.north_a, "1000.01")
    with pytest.raises(funds.PayeeRequired):
        _grant(north, north_reviewer, source, city.north_a, "10", payee_name=" ")
    with pytest.raises(funds.ReferenceRequired):
        _grant(north, north_reviewer, source, city.north_a, "10", payment_reference="")
    with pytest.raises(funds.AmountInvalid):
        _grant(north, north_reviewer, source, city.north_a, "0")
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.GRANT).exists()
    _grant(north, north_reviewer, source, city.north_a, "1000")
    assert_ledger_consistent()


# --- Campaigns ------------------------------------------------------------------------------


def test_a_campaign_moves_draft_active_paused_active_closed(city_fund, city_admin):
    campaign = funds.campaign_create(
        actor=city_admin, fund=city_fund, rules=_rules(city_fund.region)
    )
    assert campaign.status == CampaignStatus.DRAFT and campaign.slug
    assert _audited("campaign.create", campaign)
    for to in (
        CampaignStatus.ACTIVE,
        CampaignStatus.PAUSED,
        CampaignStatus.ACTIVE,
        CampaignStatus.CLOSED,
    ):
        campaign = funds.campaign_move(actor=city_admin, campaign=campaign, to=to, reason="按计划")
        assert Campaign.objects.get(pk=campaign.pk).status == to
        assert AuditEvent.objects.filter(verb=f"campaign.{to}", target_id=str(campaign.pk)).exists()
    for to in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED, CampaignStatus.DRAFT):
        with pytest.raises(InvalidTransition):
            funds.campaign_move(actor=city_admin, campaign=campaign, to=to)
    # Closing again changes nothing.
    assert (
        funds.campaign_move(actor=city_admin, campaign=campaign, to=CampaignStatus.CLOSED).status
        == "closed"
    )


def test_a_draft_campaign_may_be_closed_but_not_paused(city_fund, city_admin):
    campaign = make_campaign(city_fund, city_admin, start=False)
    with pytest.raises(InvalidTransition):
        funds.campaign_move(actor=city_admin, campaign=campaign, to=CampaignStatus.PAUSED)
    assert (
        funds.campaign_move(actor=city_admin, campaign=campaign, to=CampaignStatus.CLOSED).status
        == "closed"
    )


def test_campaigns_are_managed_by_the_funds_managers_only(
    city, city_fund, city_admin, north_reviewer
):
    with pytest.raises(NotPermitted):
        funds.campaign_create(actor=north_reviewer, fund=city_fund, rules=_rules(city.north))
    campaign = make_campaign(city_fund, city_admin, start=False)
    with pytest.raises(NotPermitted):
        funds.campaign_move(actor=north_reviewer, campaign=campaign, to=CampaignStatus.ACTIVE)
    with pytest.raises(NotPermitted):
        funds.campaign_update(actor=north_reviewer, campaign=campaign, rules=_rules(city.north))


def test_a_campaign_is_updated_only_in_draft_or_paused(city_fund, city_admin):
    campaign = make_campaign(city_fund, city_admin, start=False)
    campaign = funds.campaign_update(
        actor=city_admin,
        campaign=campaign,
        rules=_rules(city_fund.region, pool_cap=Decimal("2000"), name="改名"),
    )
    assert (campaign.pool_cap, campaign.name) == (Decimal("2000.00"), "改名")
    assert _audited("campaign.update", campaign)
    campaign = funds.campaign_move(actor=city_admin, campaign=campaign, to=CampaignStatus.ACTIVE)
    with pytest.raises(InvalidTransition):
        funds.campaign_update(actor=city_admin, campaign=campaign, rules=_rules(city_fund.region))
    campaign = funds.campaign_move(actor=city_admin, campaign=campaign, to=CampaignStatus.PAUSED)
    campaign = funds.campaign_update(
        actor=city_admin,
        campaign=campaign,
        rules=_rules(city_fund.region, tiers=[{"up_to": "50", "ratio": "0.5"}]),
        reason="改为半配",
    )
    assert campaign.tiers == [{"up_to": "50.00", "ratio": "0.5"}]
    campaign = funds.campaign_move(actor=city_admin, campaign=campaign, to=CampaignStatus.CLOSED)
    with pytest.raises(InvalidTransition):
        funds.campaign_update(actor=city_admin, campaign=campaign, rules=_rules(city_fund.region))


def test_the_pool_never_drops_below_what_is_matched_and_reserved(
    city_fund, city_admin, money_line, make_user
):
    campaign = make_campaign(city_fund, city_admin, pool_cap=Decimal("1000"))
    pay(services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100")))
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("150"))  # reserved
    campaign = funds.campaign_move(actor=city_admin, campaign=campaign, to=CampaignStatus.PAUSED)
    with pytest.raises(funds.PoolBelowSpent) as refused:
        funds.campaign_update(
            actor=city_admin,
            campaign=campaign,
            rules=_rules(city_fund.region, pool_cap=Decimal("249.99")),
        )
    assert "¥250.00" in str(refused.value)
    assert Campaign.objects.get(pk=campaign.pk).pool_cap == Decimal("1000.00")
    campaign = funds.campaign_update(
        actor=city_admin, campaign=campaign, rules=_rules(city_fund.region, pool_cap=Decimal("250"))
    )
    assert campaign.pool_cap == Decimal("250.00")
    assert_ledger_consistent()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"tiers": []}, funds.TiersInvalid),
        ({"tiers": [{"up_to": "50", "ratio": "0"}]}, funds.TiersInvalid),
        ({"tiers": [{"up_to": "50", "ratio": "5.01"}]}, funds.TiersInvalid),
        (
            {"tiers": [{"up_to": None, "ratio": "1"}, {"up_to": "80", "ratio": "1"}]},
            funds.TiersInvalid,
        ),
        ({"tiers": [{"up_to": "abc", "ratio": "1"}]}, funds.TiersInvalid),
        (
            {"tiers": [{"ratio": "1", "up_to": "50"}, {"up_to": "50", "ratio": "1"}]},
            funds.TiersInvalid,
        ),
        ({"pool_cap": Decimal("0")}, funds.AmountInvalid),
        ({"per_donor_cap": Decimal("-1")}, funds.AmountInvalid),
        ({"hour_rate": Decimal("0")}, funds.AmountInvalid),
    ],
)
def test_invalid_rules_are_refused(city_fund, city_admin, changes, error):
    with pytest.raises(error):
        funds.campaign_create(
            actor=city_admin, fund=city_fund, rules=_rules(city_fund.region, **changes)
        )
    assert not Campaign.objects.exists()


def test_a_campaign_matches_only_inside_its_funds_region(city, city_admin, north_reviewer):
    north = _town_fund(north_reviewer, city.north, "1.00", "北城街道配套资金")
    with pytest.raises(funds.OutsideRegion):
        funds.campaign_create(actor=city_admin, fund=north, rules=_rules(city.south))
    with pytest.raises(funds.OutsideRegion):
        funds.campaign_create(actor=city_admin, fund=north, rules=_rules(city.city))
    campaign = funds.campaign_create(actor=north_reviewer, fund=north, rules=_rules(city.north_a))
    with pytest.raises(funds.OutsideRegion):
        funds.campaign_update(actor=north_reviewer, campaign=campaign, rules=_rules(city.south_a))


def test_campaigns_named_in_chinese_at_once_get_their_own_web_addresses(city_fund, city_admin):
    made = [
        funds.campaign_create(actor=city_admin, fund=city_fund, rules=_rules(city_fund.region))
        for _ in range(3)
    ]
    assert len({campaign.slug for campaign in made}) == 3


def test_a_campaigns_web_address_is_taken_once(city_fund, city_admin):
    funds.campaign_create(
        actor=city_admin, fund=city_fund, rules=_rules(city_fund.region), slug="match-2026"
    )
    with pytest.raises(funds.SlugTaken):
        funds.campaign_create(
            actor=city_admin, fund=city_fund, rules=_rules(city_fund.region), slug="match-2026"
        )


# --- Disbursements --------------------------------------------------------------------------


@pytest.fixture
def station_staff(city, make_user):
    return make_user(Role.STATION_STAFF, city.north_a)


def test_a_wish_is_paid_out_only_after_its_delivery(
    city, city_fund, city_admin, make_user, station_staff, north_reviewer
):
    make_campaign(city_fund, city_admin, tiers=[{"up_to": None, "ratio": "0.50"}])
    listing = _money_listing(city, make_user, "300")
    line = listing.lines.get()
    pay(
        services.pledge_create(donor=make_user(), line=line, quantity=Decimal("200"))
    )  # + ¥100 match
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED and _escrow(listing) == Decimal("300.00")
    with pytest.raises(funds.NotDisbursable):
        funds.disbursement_request(
            actor=station_staff,
            listing=listing,
            amount=Decimal("300"),
            payee_kind=PayeeKind.SUPPLIER,
            payee_name="康复器材店",
        )
    listing_delivered(actor=station_staff, listing=listing, note="轮椅已送达，家属签收")
    request = funds.disbursement_request(
        actor=station_staff,
        listing=listing,
        amount=Decimal("300"),
        payee_kind=PayeeKind.SUPPLIER,
        payee_name="康复器材店",
    )
    assert _audited("disbursement.request", request)
    paid = funds.disbursement_approve(
        actor=north_reviewer, disbursement=request, payment_reference="付-1"
    )
    assert paid.status == DisbursementStatus.PAID and paid.decided_by == north_reviewer
    assert paid.transaction.kind == TransactionKind.DISBURSEMENT
    assert _audited("disbursement.pay", paid)
    assert _escrow(listing) == 0
    # Approving again changes nothing.
    again = funds.disbursement_approve(
        actor=north_reviewer, disbursement=request, payment_reference="付-2"
    )
    assert again.payment_reference == "付-1"
    assert LedgerTransaction.objects.filter(kind=TransactionKind.DISBURSEMENT).count() == 1
    assert_ledger_consistent()


def test_an_open_wish_listing_is_not_disbursable(city, money_line, station_staff, make_user):
    pay(services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("300")))
    with pytest.raises(funds.NotDisbursable):
        funds.disbursement_request(
            actor=station_staff,
            listing=money_line.listing,
            amount=Decimal("100"),
            payee_kind=PayeeKind.SUPPLIER,
            payee_name="店",
        )
    assert not Disbursement.objects.exists()
    assert_ledger_consistent()


def test_a_project_is_paid_in_stages_while_open_with_four_eyes(
    city, city_admin, north_reviewer, station_staff, make_user
):
    listing = _project_listing(city, "600")
    line = listing.lines.get()
    for amount in ("200", "100"):
        pay(services.pledge_create(donor=make_user(), line=line, quantity=Decimal(amount)))
    listing.refresh_from_db()
    assert listing.status == ListingStatus.OPEN and _escrow(listing) == Decimal("300.00")

    stage_one = funds.disbursement_request(
        actor=city_admin,
        listing=listing,
        amount=Decimal("120"),
        payee_kind=PayeeKind.CONTRACTOR,
        payee_name="东莞某装修公司",
        stage="第一期：拆除",
    )
    with pytest.raises(funds.SameApprover):
        funds.disbursement_approve(
            actor=city_admin, disbursement=stage_one, payment_reference="付-1"
        )
    with pytest.raises(NotPermitted):  # station staff may ask, not approve
        funds.disbursement_approve(
            actor=station_staff, disbursement=stage_one, payment_reference="付-1"
        )
    # While stage one waits, only the rest of the escrow may be asked for.
    with pytest.raises(funds.InsufficientFunds) as refused:
        funds.disbursement_request(
            actor=station_staff,
            listing=listing,
            amount=Decimal("180.01"),
            payee_kind=PayeeKind.CONTRACTOR,
            payee_name="某公司",
        )
    assert "¥180.00" in str(refused.value)
    funds.disbursement_approve(
        actor=north_reviewer, disbursement=stage_one, payment_reference="付-1"
    )
    assert _escrow(listing) == Decimal("180.00")

    stage_two = funds.disbursement_request(
        actor=station_staff,
        listing=listing,
        amount=Decimal("180"),
        payee_kind=PayeeKind.RECIPIENT,
        recipient_account="6222 秘密账户",
        stage="第二期",
    )
    assert stage_two.payee_name == "" and stage_two.public_payee == str(PayeeKind.RECIPIENT.label)
    assert "6222" not in str(
        AuditEvent.objects.get(verb="disbursement.request", target_id=str(stage_two.pk)).data
    )
    funds.disbursement_approve(actor=city_admin, disbursement=stage_two, payment_reference="付-2")
    assert _escrow(listing) == 0
    assert (
        LedgerTransaction.objects.filter(listing=listing, kind=TransactionKind.DISBURSEMENT).count()
        == 2
    )
    assert_ledger_consistent()


def test_a_disbursement_beyond_the_escrow_is_refused(city, station_staff, make_user):
    listing = _project_listing(city)
    pay(services.pledge_create(donor=make_user(), line=listing.lines.get(), quantity=Decimal("50")))
    with pytest.raises(funds.InsufficientFunds):
        funds.disbursement_request(
            actor=station_staff,
            listing=listing,
            amount=Decimal("50.01"),
            payee_kind=PayeeKind.SUPPLIER,
            payee_name="店",
        )
    assert not Disbursement.objects.exists()
    assert_ledger_consistent()


def test_disbursement_requests_need_a_payee_an_amount_and_the_right_people(
    city, city_admin, make_user
):
    listing = _project_listing(city)
    pay(services.pledge_create(donor=make_user(), line=listing.lines.get(), quantity=Decimal("50")))
    request = {"listing": listing, "amount": Decimal("10")}
    with pytest.raises(funds.PayeeRequired):
        funds.disbursement_request(
            actor=city_admin, payee_kind=PayeeKind.SUPPLIER, payee_name=" ", **request
        )
    with pytest.raises(funds.PayeeRequired):
        funds.disbursement_request(actor=city_admin, payee_kind=PayeeKind.RECIPIENT, **request)
    with pytest.raises(funds.AmountInvalid):
        funds.disbursement_request(
            actor=city_admin,
            payee_kind=PayeeKind.SUPPLIER,
            payee_name="店",
            **{**request, "amount": Decimal("0")},
        )
    for outsider in (
        make_user(Role.STATION_STAFF, city.south_a),
        make_user(Role.TOWN_REVIEWER, city.south),
        make_user(),
    ):
        with pytest.raises(NotPermitted):
            funds.disbursement_request(
                actor=outsider, payee_kind=PayeeKind.SUPPLIER, payee_name="店", **request
            )
    assert not Disbursement.objects.exists()
    assert_ledger_consistent()


def test_a_rejection_needs_a_reason_and_is_final(
    city, city_admin, north_reviewer, station_staff, make_user
):
    listing = _project_listing(city)
    pay(
        services.pledge_create(donor=make_user(), line=listing.lines.get(), quantity=Decimal("100"))
    )
    request = funds.disbursement_request(
        actor=station_staff,
        listing=listing,
        amount=Decimal("100"),
        payee_kind=PayeeKind.SUPPLIER,
        payee_name="店",
    )
    with pytest.raises(ReasonRequired):
        funds.disbursement_reject(actor=north_reviewer, disbursement=request, reason="  ")
    with pytest.raises(NotPermitted):
        funds.disbursement_reject(actor=station_staff, disbursement=request, reason="不行")
    rejected = funds.disbursement_reject(
        actor=north_reviewer, disbursement=request, reason="发票不全"
    )
    assert rejected.status == DisbursementStatus.REJECTED and rejected.reason == "发票不全"
    assert (
        AuditEvent.objects.get(verb="disbursement.reject", target_id=str(request.pk)).reason
        == "发票不全"
    )
    with pytest.raises(InvalidTransition):
        funds.disbursement_approve(actor=city_admin, disbursement=request, payment_reference="付-1")
    # A rejected request no longer holds the escrow back.
    assert funds.escrow_free(listing) == Decimal("100.00")
    assert _escrow(listing) == Decimal("100.00")
    assert_ledger_consistent()


# --- Matching volunteer hours ---------------------------------------------------------------


def test_hours_are_matched_at_the_rate(city_fund, city_admin, money_line):
    campaign = make_campaign(city_fund, city_admin, hour_rate=Decimal("25"))
    amount = funds.hours_match_post(
        campaign=campaign,
        listing=money_line.listing,
        hours=Decimal("3.5"),
        reference="工时-1",
        actor=city_admin,
    )
    assert amount == Decimal("87.50")
    campaign.refresh_from_db()
    city_fund.account.refresh_from_db()
    assert campaign.matched == Decimal("87.50")
    assert city_fund.balance == Decimal("99912.50")
    assert _escrow(money_line.listing) == Decimal("87.50")
    entry = LedgerTransaction.objects.get(kind=TransactionKind.HOURS_MATCH)
    assert (entry.campaign_id, entry.listing_id, entry.external_reference) == (
        campaign.pk,
        money_line.listing_id,
        "工时-1",
    )
    assert _audited("campaign.hours_match", campaign)
    assert_ledger_consistent()


def test_hours_are_clipped_to_the_pool(city_fund, city_admin, money_line, make_user):
    campaign = make_campaign(
        city_fund, city_admin, hour_rate=Decimal("20"), pool_cap=Decimal("150")
    )
    services.pledge_create(
        donor=make_user(), line=money_line, quantity=Decimal("100")
    )  # reserves 100
    amount = funds.hours_match_post(
        campaign=campaign, listing=money_line.listing, hours=Decimal("10"), reference="工时-1"
    )
    assert amount == Decimal("50.00")
    assert (
        funds.hours_match_post(
            campaign=campaign, listing=money_line.listing, hours=Decimal("1"), reference="工时-2"
        )
        == 0
    )
    campaign.refresh_from_db()
    assert campaign.matched == Decimal("50.00")
    assert_ledger_consistent()


def test_hours_are_clipped_to_what_the_fund_has_free(
    city, company, company_admin, money_line, make_user
):
    fund = funds.fund_create(
        actor=company_admin,
        name="企业基金",
        owner=FundOwner.COMPANY,
        region=city.city,
        organisation=company,
    )
    funds.fund_top_up(
        actor=company_admin,
        fund=fund,
        kind=TopUpKind.DONATION,
        amount=Decimal("70"),
        reference="D-1",
    )
    campaign = make_campaign(fund, company_admin, hour_rate=Decimal("20"))
    services.pledge_create(
        donor=make_user(), line=money_line, quantity=Decimal("30")
    )  # reserves 30
    amount = funds.hours_match_post(
        campaign=campaign, listing=money_line.listing, hours=Decimal("5"), reference="工时-1"
    )
    assert amount == Decimal("40.00")
    fund.account.refresh_from_db()
    assert fund.balance == Decimal("30.00") and funds.available(fund) == 0
    assert_ledger_consistent()


def test_hours_respect_the_per_listing_cap_with_the_matches_there(
    city_fund, city_admin, money_line, make_user
):
    campaign = make_campaign(
        city_fund, city_admin, hour_rate=Decimal("20"), per_listing_cap=Decimal("150")
    )
    services.pledge_create(
        donor=make_user(), line=money_line, quantity=Decimal("100")
    )  # reserves 100 on the listing
    listing = money_line.listing
    assert funds.hours_match_post(
        campaign=campaign, listing=listing, hours=Decimal("2"), reference="工时-1"
    ) == Decimal("40.00")
    assert funds.hours_match_post(
        campaign=campaign, listing=listing, hours=Decimal("2"), reference="工时-2"
    ) == Decimal("10.00")
    assert (
        funds.hours_match_post(
            campaign=campaign, listing=listing, hours=Decimal("2"), reference="工时-3"
        )
        == 0
    )
    # A pledge's match on the listing counts the hours' money too.
    later = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("50"))
    assert not Match.objects.filter(pledge=later).exists()
    assert_ledger_consistent()


def test_no_hours_match_into_a_cancelled_listing(city_fund, city_admin, money_line, make_user):
    campaign = make_campaign(city_fund, city_admin, hour_rate=Decimal("20"))
    listing = money_line.listing
    listing_cancel(actor=city_admin, listing=listing, reason="需求已由家属解决")
    assert (
        funds.hours_match_post(
            campaign=campaign, listing=listing, hours=Decimal("2"), reference="工时"
        )
        == 0
    )
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.HOURS_MATCH).exists()


def test_no_hours_match_without_a_rate_or_while_paused_or_outside(
    city, city_fund, city_admin, money_line
):
    listing = money_line.listing
    no_rate = make_campaign(city_fund, city_admin, name="无工时")
    paused = make_campaign(city_fund, city_admin, name="暂停", hour_rate=Decimal("20"))
    funds.campaign_move(actor=city_admin, campaign=paused, to=CampaignStatus.PAUSED)
    south = make_campaign(
        city_fund, city_admin, name="南城", hour_rate=Decimal("20"), region=city.south
    )
    draft = make_campaign(city_fund, city_admin, name="草稿", hour_rate=Decimal("20"), start=False)
    for campaign in (no_rate, paused, south, draft):
        assert (
            funds.hours_match_post(
                campaign=campaign, listing=listing, hours=Decimal("2"), reference="工时"
            )
            == 0
        )
    live = make_campaign(city_fund, city_admin, name="进行中", hour_rate=Decimal("20"))
    assert (
        funds.hours_match_post(campaign=live, listing=listing, hours=Decimal("0"), reference="工时")
        == 0
    )
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.HOURS_MATCH).exists()
    assert_ledger_consistent()


def test_no_hours_match_outside_the_campaigns_window_kinds_or_categories(
    city_fund, city_admin, money_line
):
    now = timezone.now()
    ended = make_campaign(
        city_fund,
        city_admin,
        name="已结束",
        hour_rate=Decimal("20"),
        starts_at=now - timedelta(days=10),
        ends_at=now - timedelta(days=1),
    )
    later = make_campaign(
        city_fund,
        city_admin,
        name="未开始",
        hour_rate=Decimal("20"),
        starts_at=now + timedelta(days=1),
    )
    other_kind = make_campaign(
        city_fund, city_admin, name="只配项目", hour_rate=Decimal("20"), listing_kinds=["project"]
    )
    other_category = make_campaign(
        city_fund, city_admin, name="只配助学", hour_rate=Decimal("20"), categories=["education"]
    )
    for campaign in (ended, later, other_kind, other_category):
        assert (
            funds.hours_match_post(
                campaign=campaign, listing=money_line.listing, hours=Decimal("2"), reference="工时"
            )
            == 0
        )
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.HOURS_MATCH).exists()
    assert_ledger_consistent()
