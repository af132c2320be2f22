"""Staff fund pages: each user sees the funds they manage (another area's is a 404), every
action goes through the funds services (money on the ledger, an audit event), and bad
input comes back as a 400 with the message and the typed values.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Membership, OrganisationKind
from accounts.roles import Role
from marketplace import funds, services
from marketplace.models import (
    Campaign,
    CampaignStatus,
    Fund,
    FundAllocation,
    FundOwner,
    FundTopUp,
    LedgerTransaction,
    MatchStatus,
    TopUpKind,
    TransactionKind,
)
from tests.accounts.factories import OrganisationFactory
from tests.marketplace.funds_helpers import assert_ledger_consistent, make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(city, make_user, city_admin):
    """Who is who around the north town's fund."""

    class People:
        admin = city_admin
        north = make_user(Role.TOWN_REVIEWER, city.north)
        south = make_user(Role.TOWN_REVIEWER, city.south)
        station = make_user(Role.STATION_STAFF, city.north_a)
        nobody = make_user()

    return People


@pytest.fixture
def north_fund(city, city_admin) -> Fund:
    """The north town's fund: counterpart 1:1, empty."""
    return funds.fund_create(
        actor=city_admin,
        name="北城街道配套资金",
        owner=FundOwner.TOWN,
        region=city.north,
        counterpart_ratio=Decimal("1.00"),
    )


@pytest.fixture
def south_fund(city, city_admin) -> Fund:
    """The south town's fund: counterpart 1:0.5, empty."""
    return funds.fund_create(
        actor=city_admin,
        name="南城街道配套资金",
        owner=FundOwner.TOWN,
        region=city.south,
        counterpart_ratio=Decimal("0.50"),
    )


@pytest.fixture
def company(city, make_user):
    """A company, its administrator and its matching fund of ¥5,000."""
    org = OrganisationFactory(kind=OrganisationKind.COMPANY, region=city.north)
    admin = make_user()
    Membership.objects.create(organisation=org, user=admin, is_admin=True)
    fund = funds.fund_create(
        actor=admin,
        name="某公司配捐基金",
        owner=FundOwner.COMPANY,
        region=city.city,
        organisation=org,
    )
    funds.fund_top_up(
        actor=admin, fund=fund, kind=TopUpKind.DONATION, amount=Decimal("5000"), reference="C-1"
    )

    class Company:
        organisation = org
        administrator = admin

    Company.fund = fund
    return Company


def _audited(verb: str) -> bool:
    return AuditEvent.objects.filter(verb=verb).exists()


def _text(response) -> str:
    return response.content.decode()


# --- Who sees what ----------------------------------------------------------------------


def test_the_dashboard_shows_each_user_the_funds_they_manage(
    client, people, city_fund, north_fund, company
):
    url = reverse("marketplace:funds")
    client.force_login(people.admin)
    shown = {f.pk for f in client.get(url).context["funds"]}
    assert shown == {city_fund.pk, north_fund.pk, company.fund.pk}
    client.force_login(people.north)
    assert {f.pk for f in client.get(url).context["funds"]} == {north_fund.pk}
    client.force_login(people.south)
    response = client.get(url)
    assert response.status_code == 200 and response.context["funds"] == []
    client.force_login(company.administrator)
    assert {f.pk for f in client.get(url).context["funds"]} == {company.fund.pk}
    for outsider in (people.nobody, people.station):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_the_dashboard_gives_each_funds_figures_and_spending_rate(
    client, english, people, city_fund, north_fund
):
    campaign = make_campaign(city_fund, people.admin, name="Spring match")
    client.force_login(people.admin)
    response = client.get(reverse("marketplace:funds"))
    city = next(f for f in response.context["funds"] if f.pk == city_fund.pk)
    assert city.figures.balance == Decimal("100000.00")
    assert city.figures.money_in == Decimal("100000.00")
    assert city.figures.per_day is None
    assert "No spending yet." in _text(response)
    assert "Spring match" in _text(response) and campaign.get_status_display() in _text(response)

    funds.fund_allocate(
        actor=people.admin,
        source=city_fund,
        target=north_fund,
        amount=Decimal("30000"),
        reference="A-1",
    )
    response = client.get(reverse("marketplace:funds"))
    city = next(f for f in response.context["funds"] if f.pk == city_fund.pk)
    assert city.figures.money_out == Decimal("30000.00")
    assert city.figures.per_day == Decimal("1000.00")
    assert city.figures.days_left == 70
    assert "lasts about 70 days" in _text(response)


def test_the_dashboard_counts_reserved_matches_as_promised(
    client, people, city_fund, money_line, make_user
):
    make_campaign(city_fund, people.admin)
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("200"))
    client.force_login(people.admin)
    fund = client.get(reverse("marketplace:funds")).context["funds"][0]
    assert fund.figures.committed == Decimal("200.00")
    assert fund.figures.available == Decimal("99800.00")


@pytest.mark.parametrize("name", ["fund", "campaign_create"])
def test_a_funds_pages_are_404_outside_its_area(client, people, north_fund, company, name):
    url = reverse(f"marketplace:{name}", args=[north_fund.pk])
    for allowed in (people.admin, people.north):
        client.force_login(allowed)
        assert client.get(url).status_code == 200
    for outsider in (people.south, people.nobody, people.station, company.administrator):
        client.force_login(outsider)
        assert client.get(url).status_code == 404


def test_a_companys_fund_is_its_administrators_and_the_city_admins(
    client, people, company, make_user
):
    url = reverse("marketplace:fund", args=[company.fund.pk])
    client.force_login(company.administrator)
    assert client.get(url).status_code == 200
    plain_member = make_user()
    Membership.objects.create(organisation=company.organisation, user=plain_member)
    client.force_login(plain_member)
    assert client.get(url).status_code == 404
    client.force_login(people.north)  # a town reviewer does not manage a city-wide fund
    assert client.get(url).status_code == 404


# --- Opening a fund ---------------------------------------------------------------------


def test_a_city_admin_opens_a_town_fund_with_a_counterpart_ratio(client, people, city):
    client.force_login(people.admin)
    assert client.get(reverse("marketplace:fund_create")).status_code == 200
    response = client.post(
        reverse("marketplace:fund_create"),
        {
            "name": "南城街道配套",
            "owner": "town",
            "region": city.south.pk,
            "counterpart_ratio": "0.50",
        },
    )
    fund = Fund.objects.get(name="南城街道配套")
    assert response.status_code == 302 and response.url == reverse(
        "marketplace:fund", args=[fund.pk]
    )
    assert (fund.owner, fund.region, fund.counterpart_ratio) == (
        "town",
        city.south,
        Decimal("0.50"),
    )
    assert fund.account.balance == Decimal("0.00")
    assert _audited("fund.create")


def test_a_town_reviewer_opens_funds_only_in_their_town(client, english, people, city):
    client.force_login(people.north)
    url = reverse("marketplace:fund_create")
    response = client.post(url, {"name": "南城资金", "owner": "town", "region": city.south.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in _text(response)
    assert 'value="南城资金"' in _text(response)
    response = client.post(url, {"name": "全市资金", "owner": "city", "region": city.north.pk})
    assert response.status_code == 400 and "choose the city" in _text(response)
    assert not Fund.objects.exists()
    response = client.post(url, {"name": "北城资金", "owner": "town", "region": city.north.pk})
    assert response.status_code == 302
    assert Fund.objects.get().counterpart_ratio is None


def test_opening_a_fund_is_404_for_someone_who_may_not(client, people):
    for outsider in (people.nobody, people.station):
        client.force_login(outsider)
        assert client.get(reverse("marketplace:fund_create")).status_code == 404
        assert client.post(reverse("marketplace:fund_create"), {}).status_code == 404


def test_an_organisations_fund_is_opened_by_its_administrators_only(
    client, english, people, city, make_user
):
    org = OrganisationFactory(kind=OrganisationKind.CHARITY, region=city.north)
    admin = make_user()
    Membership.objects.create(organisation=org, user=admin, is_admin=True)
    url = reverse("marketplace:fund_create")
    data = {"name": "慈善配捐", "owner": "charity", "region": city.city.pk, "organisation": org.pk}
    # The city admin (no organisation's admin) is not offered organisations' funds at all.
    client.force_login(people.admin)
    response = client.post(url, data)
    assert response.status_code == 400 and "Select a valid choice" in _text(response)
    # Once admin of another organisation, they see this one (it is in their area), still no.
    other = OrganisationFactory(region=city.south)
    Membership.objects.create(organisation=other, user=people.admin, is_admin=True)
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Only the organisation&#x27;s administrators may open its fund." in _text(response)
    assert 'value="慈善配捐"' in _text(response)
    client.force_login(admin)
    response = client.post(url, data)
    assert response.status_code == 302
    fund = Fund.objects.get(name="慈善配捐")
    assert (fund.owner, fund.organisation) == ("charity", org)
    # Its admin may not open a public fund.
    response = client.post(url, {"name": "市资金", "owner": "city", "region": city.city.pk})
    assert response.status_code == 400 and Fund.objects.count() == 1


def test_a_fund_name_is_taken_once(client, english, people, city, city_fund):
    client.force_login(people.admin)
    response = client.post(
        reverse("marketplace:fund_create"),
        {"name": city_fund.name, "owner": "city", "region": city.city.pk},
    )
    assert response.status_code == 400 and "Another fund already has this name." in _text(response)


# --- Money in ---------------------------------------------------------------------------


def test_a_top_up_is_posted_to_the_ledger_and_audited(client, people, city_fund):
    client.force_login(people.admin)
    response = client.post(
        reverse("marketplace:fund_top_up", args=[city_fund.pk]),
        {
            "kind": "appropriation",
            "amount": "25000",
            "reference": "东财〔2026〕9号",
            "source": "市财政局",
            "received_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    city_fund.account.refresh_from_db()
    assert city_fund.account.balance == Decimal("125000.00")
    top_up = FundTopUp.objects.get(reference="东财〔2026〕9号")
    assert top_up.transaction.kind == TransactionKind.TOP_UP and top_up.source == "市财政局"
    assert _audited("fund.appropriation")
    assert_ledger_consistent()
    page = client.get(reverse("marketplace:fund", args=[city_fund.pk]))
    lines = list(page.context["page"].object_list)
    assert [line.balance_after for line in lines] == [Decimal("125000.00"), Decimal("100000.00")]
    assert "东财〔2026〕9号" in _text(page)


@pytest.mark.parametrize(
    ("amount", "reference", "message"),
    [
        ("0", "REF-1", "Enter an amount above zero."),
        ("-5", "REF-1", "Enter an amount above zero."),
        ("100", "", "Give the reference of the document or transfer"),
    ],
)
def test_a_bad_top_up_comes_back_with_its_message_and_input(
    client, english, people, city_fund, amount, reference, message
):
    client.force_login(people.admin)
    response = client.post(
        reverse("marketplace:fund_top_up", args=[city_fund.pk]),
        {"kind": "donation", "amount": amount, "reference": reference, "source": "某爱心人士"},
    )
    assert response.status_code == 400
    assert message in _text(response)
    assert 'value="某爱心人士"' in _text(response)
    assert response.context["top_up_form"]["amount"].value() == amount
    assert FundTopUp.objects.count() == 1  # the fixture's


def test_counterpart_deposits_only_to_a_fund_with_a_ratio(
    client, english, people, city_fund, north_fund
):
    client.force_login(people.admin)
    data = {"kind": "counterpart", "amount": "100", "reference": "CP-1"}
    response = client.post(reverse("marketplace:fund_top_up", args=[city_fund.pk]), data)
    assert response.status_code == 400 and "Select a valid choice" in _text(response)
    client.force_login(people.north)
    response = client.post(reverse("marketplace:fund_top_up", args=[north_fund.pk]), data)
    assert response.status_code == 302
    assert FundTopUp.objects.get(reference="CP-1").transaction.kind == TransactionKind.COUNTERPART
    assert _audited("fund.counterpart")


def test_a_repeated_reference_is_refused(client, english, people, city_fund):
    client.force_login(people.admin)
    response = client.post(
        reverse("marketplace:fund_top_up", args=[city_fund.pk]),
        {"kind": "appropriation", "amount": "10", "reference": "东财〔2026〕1号"},
    )
    assert response.status_code == 400
    assert "This reference was recorded for this fund already." in _text(response)


def test_top_ups_are_404_outside_the_area(client, people, north_fund, company):
    url = reverse("marketplace:fund_top_up", args=[north_fund.pk])
    data = {"kind": "appropriation", "amount": "100", "reference": "X"}
    for outsider in (people.south, people.nobody, company.administrator):
        client.force_login(outsider)
        assert client.post(url, data).status_code == 404
    assert not FundTopUp.objects.filter(fund=north_fund).exists()


# --- Allocations ------------------------------------------------------------------------


def test_the_city_allocates_to_a_town(client, people, city_fund, north_fund):
    client.force_login(people.admin)
    page = client.get(reverse("marketplace:fund", args=[city_fund.pk]))
    assert list(page.context["allocate_form"].fields["target"].queryset) == [north_fund]
    response = client.post(
        reverse("marketplace:fund_allocate", args=[city_fund.pk]),
        {"target": north_fund.pk, "amount": "40000", "reference": "东财〔2026〕2号"},
    )
    assert response.status_code == 302
    city_fund.account.refresh_from_db()
    north_fund.account.refresh_from_db()
    assert (city_fund.account.balance, north_fund.account.balance) == (
        Decimal("60000.00"),
        Decimal("40000.00"),
    )
    allocation = FundAllocation.objects.get()
    assert allocation.transaction.kind == TransactionKind.ALLOCATION
    assert _audited("fund.allocate")
    assert_ledger_consistent()
    town_page = client.get(reverse("marketplace:fund", args=[north_fund.pk]))
    assert town_page.context["allocations"][0].outgoing is False
    assert town_page.context["allocate_form"] is None  # a town does not allocate


def test_an_allocation_beyond_the_free_balance_is_refused(
    client, english, people, city_fund, north_fund
):
    client.force_login(people.admin)
    response = client.post(
        reverse("marketplace:fund_allocate", args=[city_fund.pk]),
        {"target": north_fund.pk, "amount": "100000.01", "reference": "东财〔2026〕3号"},
    )
    assert response.status_code == 400
    assert "The fund has only ¥100,000.00 free" in _text(response)
    assert 'value="东财〔2026〕3号"' in _text(response)
    assert 'value="100000.01"' in _text(response)
    assert not FundAllocation.objects.exists()


@pytest.mark.parametrize(
    ("amount", "reference", "message"),
    [
        ("0", "A-1", "Enter an amount above zero."),
        ("12", "", "Give the reference of the document or transfer"),
    ],
)
def test_a_bad_allocation_comes_back_with_its_message(
    client, english, people, city_fund, north_fund, amount, reference, message
):
    client.force_login(people.admin)
    response = client.post(
        reverse("marketplace:fund_allocate", args=[city_fund.pk]),
        {"target": north_fund.pk, "amount": amount, "reference": reference},
    )
    assert response.status_code == 400 and message in _text(response)


def test_allocating_is_only_from_city_or_federation_funds_in_the_area(
    client, people, city_fund, north_fund, south_fund
):
    data = {"target": south_fund.pk, "amount": "10", "reference": "A"}
    client.force_login(people.admin)
    assert (
        client.post(reverse("marketplace:fund_allocate", args=[north_fund.pk]), data).status_code
        == 404
    )
    client.force_login(people.north)
    assert (
        client.post(reverse("marketplace:fund_allocate", args=[city_fund.pk]), data).status_code
        == 404
    )
    assert not FundAllocation.objects.exists()


# --- Counterpart compliance -------------------------------------------------------------


def test_counterpart_compliance_per_town(client, people, city_fund, north_fund, south_fund):
    admin = people.admin
    funds.fund_top_up(
        actor=admin, fund=city_fund, kind="appropriation", amount=Decimal("100000"), reference="2"
    )
    for town in (north_fund, south_fund):
        funds.fund_allocate(
            actor=admin, source=city_fund, target=town, amount=Decimal("100000"), reference="A"
        )
    for town, deposit in ((north_fund, "60000"), (south_fund, "50000")):
        funds.fund_top_up(
            actor=admin, fund=town, kind="counterpart", amount=Decimal(deposit), reference="CP"
        )
    client.force_login(admin)
    response = client.get(reverse("marketplace:counterparts"))
    assert response.status_code == 200
    rows = {row.fund.pk: (row, ratio) for row, ratio in response.context["rows"]}
    north, north_ratio = rows[north_fund.pk]
    south, south_ratio = rows[south_fund.pk]
    assert (north_ratio, south_ratio) == ("1:1", "1:0.5")
    assert (north.owed, north.deposited, north.outstanding) == (
        Decimal("100000.00"),
        Decimal("60000.00"),
        Decimal("40000.00"),
    )
    assert (north.compliant, north.percent) == (False, 60)
    assert (south.owed, south.outstanding, south.compliant, south.percent) == (
        Decimal("50000.00"),
        Decimal("0.00"),
        True,
        100,
    )
    assert response.context["totals"] == {
        "allocated": Decimal("200000.00"),
        "owed": Decimal("150000.00"),
        "deposited": Decimal("110000.00"),
        "outstanding": Decimal("40000.00"),
    }
    text = _text(response)
    assert "¥40,000.00" in text and "1:0.5" in text
    # A town reviewer sees their own town only; others nothing at all.
    client.force_login(people.north)
    assert [
        row.fund.pk
        for row, _ratio in client.get(reverse("marketplace:counterparts")).context["rows"]
    ] == [north_fund.pk]
    client.force_login(people.nobody)
    assert client.get(reverse("marketplace:counterparts")).status_code == 404


# --- Campaigns --------------------------------------------------------------------------


def _campaign_data(region, **changes) -> dict:
    starts = timezone.localtime() + timedelta(days=1)
    data = {
        "name": "春季配捐",
        "slug": "spring-match",
        "description": "",
        "preset": "",
        "tier1_up_to": "100",
        "tier1_ratio": "1.00",
        "tier2_up_to": "",
        "tier2_ratio": "0.50",
        "tier3_up_to": "",
        "tier3_ratio": "",
        "pool_cap": "20000",
        "per_pledge_cap": "",
        "per_donor_cap": "500",
        "per_donor_daily_cap": "",
        "per_listing_cap": "",
        "hour_rate": "",
        "region": region.pk,
        "categories": ["medical", "elder_care"],
        "listing_kinds": ["wish"],
        "donor_kinds": [],
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(changes)
    return data


def test_a_campaign_is_drafted_with_tiers_caps_and_eligibility(
    client, english, people, city, city_fund
):
    client.force_login(people.admin)
    url = reverse("marketplace:campaign_create", args=[city_fund.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _campaign_data(city.north))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("marketplace:campaign", args=[campaign.pk])
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.slug == "spring-match" and campaign.fund == city_fund
    assert campaign.tiers == [
        {"up_to": "100.00", "ratio": "1.00"},
        {"up_to": None, "ratio": "0.50"},
    ]
    assert (campaign.pool_cap, campaign.per_donor_cap, campaign.per_pledge_cap) == (
        Decimal("20000.00"),
        Decimal("500.00"),
        None,
    )
    assert campaign.categories == ["elder_care", "medical"] and campaign.listing_kinds == ["wish"]
    assert campaign.region == city.north and campaign.ends_at > campaign.starts_at
    assert _audited("campaign.create")
    page = client.get(response.url)
    text = _text(page)
    assert "A donor&#x27;s first ¥100.00 is matched at 1:1." in text
    assert "Beyond ¥100.00 of a donor&#x27;s giving, it is matched at 1:0.5." in text
    assert "At most ¥500.00 is added for one donor." in text


def test_a_preset_sets_the_tiers(client, people, city, city_fund):
    client.force_login(people.admin)
    client.post(
        reverse("marketplace:campaign_create", args=[city_fund.pk]),
        _campaign_data(city.city, preset="half_first_50", tier1_ratio="9"),
    )
    assert Campaign.objects.get().tiers == [{"up_to": "50.00", "ratio": "0.50"}]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"tier1_up_to": "100", "tier2_up_to": "50", "tier2_ratio": "1"},
            "The ratio tiers are not valid",
        ),
        (
            {"tier1_up_to": "", "tier2_up_to": "", "tier2_ratio": "0.5"},
            "The ratio tiers are not valid",
        ),
        ({"tier1_ratio": "0", "tier2_ratio": ""}, "The ratio tiers are not valid"),
        ({"tier1_ratio": "", "tier2_ratio": ""}, "The ratio tiers are not valid"),
        ({"pool_cap": "0"}, "Enter an amount above zero."),
        ({"per_donor_cap": "-1"}, "Enter an amount above zero."),
        ({"ends_at": "2020-01-01T00:00"}, "The end must be after the start."),
    ],
)
def test_a_bad_campaign_comes_back_with_its_message_and_input(
    client, english, people, city, city_fund, changes, message
):
    client.force_login(people.admin)
    response = client.post(
        reverse("marketplace:campaign_create", args=[city_fund.pk]),
        _campaign_data(city.city, name="秋季配捐", **changes),
    )
    assert response.status_code == 400
    assert message in _text(response)
    assert 'value="秋季配捐"' in _text(response)
    assert not Campaign.objects.exists()


def test_a_campaign_covers_only_its_funds_region(client, english, people, city, north_fund):
    client.force_login(people.north)
    response = client.post(
        reverse("marketplace:campaign_create", args=[north_fund.pk]), _campaign_data(city.south)
    )
    assert response.status_code == 400 and "Select a valid choice" in _text(response)


def test_a_taken_web_address_is_refused(client, english, people, city, city_fund):
    make_campaign(city_fund, people.admin, start=False)
    client.force_login(people.admin)
    slug = Campaign.objects.get().slug
    response = client.post(
        reverse("marketplace:campaign_create", args=[city_fund.pk]),
        _campaign_data(city.city, slug=slug),
    )
    assert response.status_code == 400
    assert "Another campaign already uses this web address." in _text(response)


def test_a_draft_or_paused_campaign_can_be_changed(client, people, city, city_fund):
    campaign = make_campaign(city_fund, people.admin, start=False)
    client.force_login(people.admin)
    url = reverse("marketplace:campaign_edit", args=[campaign.pk])
    form = client.get(url).context["form"]
    assert form["preset"].value() == "one_to_one" and "slug" not in form.fields
    response = client.post(url, _campaign_data(city.city, pool_cap="15000", preset="half"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.pool_cap == Decimal("15000.00")
    assert campaign.tiers == [{"up_to": None, "ratio": "0.50"}]
    assert _audited("campaign.update")
    funds.campaign_move(actor=people.admin, campaign=campaign, to=CampaignStatus.ACTIVE)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == reverse("marketplace:campaign", args=[campaign.pk])
    data = _campaign_data(city.city, pool_cap="1")
    assert client.post(url, data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.pool_cap == Decimal("15000.00")


def test_the_pool_never_drops_below_what_is_spent(
    client, english, people, city, city_fund, money_line, make_user
):
    campaign = make_campaign(city_fund, people.admin)
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("300"))
    funds.campaign_move(actor=people.admin, campaign=campaign, to="paused", reason="review")
    client.force_login(people.admin)
    response = client.post(
        reverse("marketplace:campaign_edit", args=[campaign.pk]),
        _campaign_data(city.city, pool_cap="100", preset="one_to_one"),
    )
    assert response.status_code == 400
    assert (
        "The pool cannot be smaller than what the campaign has already matched and reserved (¥300.00)."
        in _text(response)
    )


@pytest.mark.parametrize("name", ["campaign", "campaign_edit"])
def test_a_campaigns_pages_are_404_outside_its_area(client, people, north_fund, company, name):
    campaign = make_campaign(north_fund, people.north, start=False, pool_cap=Decimal("10"))
    url = reverse(f"marketplace:{name}", args=[campaign.pk])
    for allowed in (people.admin, people.north):
        client.force_login(allowed)
        assert client.get(url).status_code == 200
    for outsider in (people.south, people.nobody, company.administrator):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        data = {"to": "active"}
        assert (
            client.post(reverse("marketplace:campaign_move", args=[campaign.pk]), data).status_code
            == 404
        )
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_a_campaign_is_started_paused_resumed_and_closed(client, english, people, city_fund):
    campaign = make_campaign(city_fund, people.admin, start=False)
    client.force_login(people.admin)
    url = reverse("marketplace:campaign_move", args=[campaign.pk])

    def status():
        campaign.refresh_from_db()
        return campaign.status

    assert client.post(url, {"to": "active"}).status_code == 302 and status() == "active"
    assert _audited("campaign.active")
    response = client.post(url, {"to": "paused", "reason": " "})
    assert response.status_code == 400 and "Please give a reason." in _text(response)
    assert status() == "active"
    assert client.post(url, {"to": "paused", "reason": "预算复核"}).status_code == 302
    assert status() == "paused"
    assert AuditEvent.objects.get(verb="campaign.paused").reason == "预算复核"
    assert client.post(url, {"to": "active"}).status_code == 302 and status() == "active"
    assert client.post(url, {"to": "active"}).status_code == 302  # a repeated click: no-op
    assert client.post(url, {"to": "closed", "reason": "结束"}).status_code == 302
    assert status() == "closed"
    response = client.post(url, {"to": "active"})
    assert response.status_code == 400 and "This cannot be done while it is Closed." in _text(
        response
    )
    assert status() == "closed"


def test_the_campaign_page_lists_matches_keeping_donors_anonymity(
    client, english, people, city_fund, money_line, make_user
):
    campaign = make_campaign(city_fund, people.admin, name="Spring")
    named = make_user(display_name="王先生")
    services.pledge_create(donor=named, line=money_line, quantity=Decimal("100"))
    hidden = make_user(display_name="李女士")
    services.pledge_create(donor=hidden, line=money_line, quantity=Decimal("50"), anonymous=True)
    client.force_login(people.admin)
    response = client.get(reverse("marketplace:campaign", args=[campaign.pk]))
    text = _text(response)
    assert "王先生" in text and "李女士" not in text and "anonymous" in text
    assert response.context["reserved"] == Decimal("150.00")
    assert response.context["pool_left"] == Decimal("9850.00")
    assert [m.status for m in response.context["page"].object_list] == [MatchStatus.RESERVED] * 2
    assert money_line.listing.reference in text


# --- Navigation -------------------------------------------------------------------------


def test_the_workspace_links_the_money_pages_for_fund_managers(client, people):
    client.force_login(people.north)
    text = _text(client.get(reverse("accounts:workspace")))
    for name in ("funds", "counterparts", "disbursements"):
        assert reverse(f"marketplace:{name}") in text
    client.force_login(people.station)
    text = _text(client.get(reverse("accounts:workspace")))
    assert reverse("marketplace:funds") not in text
    assert reverse("marketplace:disbursements") not in text


def test_an_organisations_admin_finds_its_funds(client, company, make_user):
    client.force_login(company.administrator)
    page = client.get(reverse("accounts:organisation", args=[company.organisation.pk]))
    assert reverse("marketplace:funds") in _text(page)
    member = make_user()
    Membership.objects.create(organisation=company.organisation, user=member)
    client.force_login(member)
    page = client.get(reverse("accounts:organisation", args=[company.organisation.pk]))
    assert reverse("marketplace:funds") not in _text(page)


def test_ledger_lines_are_paginated_with_a_running_balance(client, people, city_fund):
    for i in range(30):
        funds.fund_top_up(
            actor=people.admin,
            fund=city_fund,
            kind="donation",
            amount=Decimal("10"),
            reference=f"D{i}",
        )
    client.force_login(people.admin)
    url = reverse("marketplace:fund", args=[city_fund.pk])
    first = client.get(url).context["page"]
    assert len(first.object_list) == 25
    assert first.object_list[0].balance_after == Decimal("100300.00")
    second = client.get(url + "?page=2").context["page"]
    assert [line.balance_after for line in second.object_list] == [
        Decimal("100050.00"),
        Decimal("100040.00"),
        Decimal("100030.00"),
        Decimal("100020.00"),
        Decimal("100010.00"),
        Decimal("100000.00"),
    ]
    assert LedgerTransaction.objects.filter(fund=city_fund).count() == 31
