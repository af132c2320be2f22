"""Exact query counts of the staff fund pages, constant as funds, campaigns, ledger lines
and matches grow.

A signed-in request costs 2 queries before the view runs (session, user), the user's roles
1 more (read once per request and cached on the user), and the site frame 3.
"""

from decimal import Decimal
from itertools import count

import pytest
from django.urls import reverse

from accounts.models import Membership, RegionLevel
from marketplace import funds, services
from marketplace.models import CampaignStatus, FundOwner, TopUpKind
from tests.accounts.factories import OrganisationFactory, make_region
from tests.marketplace import giving_fixtures
from tests.marketplace.funds_helpers import make_campaign
from tests.marketplace.money import pay
from tests.marketplace.test_browse import publish

pytestmark = pytest.mark.django_db

site = giving_fixtures.site
_n = count(1)


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


def _town_fund(city, admin, *, ratio="1.00", region=None):
    """A new town with its fund, allocated ¥1,000 and with a counterpart deposit."""
    n = next(_n)
    town = region or make_region(RegionLevel.TOWN, city.city, name=f"新镇{n}", code=f"dg-t{n}")
    return funds.fund_create(
        actor=admin,
        name=f"新镇{n}配套资金",
        owner=FundOwner.TOWN,
        region=town,
        counterpart_ratio=Decimal(ratio),
    )


def _activity(fund, admin, make_user, city, *, towns: int = 2):
    """More of everything around *fund*: top-ups, allocations to new towns and their
    deposits, a campaign with matches reserved and confirmed."""
    for _ in range(3):
        funds.fund_top_up(
            actor=admin,
            fund=fund,
            kind=TopUpKind.DONATION,
            amount=Decimal("100"),
            reference=f"D-{next(_n)}",
        )
    for _ in range(towns):
        town = _town_fund(city, admin)
        funds.fund_allocate(
            actor=admin, source=fund, target=town, amount=Decimal("500"), reference="A"
        )
        funds.fund_top_up(
            actor=admin,
            fund=town,
            kind=TopUpKind.COUNTERPART,
            amount=Decimal("200"),
            reference="CP",
        )
    campaign = make_campaign(fund, admin, name=f"match-{next(_n)}")
    for _ in range(2):
        line = publish(city.north_a, money="1000.00").lines.get()
        first = services.pledge_create(donor=make_user(), line=line, quantity=Decimal("100"))
        pay(first)
        services.pledge_create(donor=make_user(), line=line, quantity=Decimal("50"), anonymous=True)
    return campaign


def test_dashboard_query_count(
    client, site, city, city_admin, city_fund, make_user, django_assert_num_queries
):
    _activity(city_fund, city_admin, make_user, city)
    client.force_login(city_admin)
    # session, user, roles, organisations administered, funds, campaigns + frame 3
    _assert_constant(
        client,
        reverse("marketplace:funds"),
        9,
        lambda: _activity(city_fund, city_admin, make_user, city),
        django_assert_num_queries,
    )


def test_dashboard_query_count_for_an_organisations_admin(
    client, site, city, make_user, django_assert_num_queries
):
    org = OrganisationFactory(region=city.north)
    admin = make_user()
    Membership.objects.create(organisation=org, user=admin, is_admin=True)

    def grow():
        fund = funds.fund_create(
            actor=admin,
            name=f"企业基金{next(_n)}",
            owner=FundOwner.COMPANY,
            region=city.city,
            organisation=org,
        )
        funds.fund_top_up(
            actor=admin, fund=fund, kind=TopUpKind.DONATION, amount=Decimal("900"), reference="C"
        )
        make_campaign(fund, admin, name=f"company-match-{next(_n)}")

    grow()
    client.force_login(admin)
    # session, user, organisations administered, roles, funds, campaigns + frame 3
    _assert_constant(client, reverse("marketplace:funds"), 9, grow, django_assert_num_queries)


def test_fund_page_query_count(
    client, site, city, city_admin, city_fund, make_user, django_assert_num_queries
):
    _activity(city_fund, city_admin, make_user, city)
    client.force_login(city_admin)
    # session, user, roles, fund with its figures, ledger count, ledger page, top-ups,
    # allocations, campaigns, allocation targets + frame 3
    _assert_constant(
        client,
        reverse("marketplace:fund", args=[city_fund.pk]),
        13,
        lambda: _activity(city_fund, city_admin, make_user, city),
        django_assert_num_queries,
    )


def test_fund_page_two_query_count(
    client, site, city, city_admin, city_fund, make_user, django_assert_num_queries
):
    for _ in range(3):
        _activity(city_fund, city_admin, make_user, city)
    client.force_login(city_admin)
    # page one's queries and the sum of the lines before the page (running balance)
    _assert_constant(
        client,
        reverse("marketplace:fund", args=[city_fund.pk]) + "?page=2",
        14,
        lambda: _activity(city_fund, city_admin, make_user, city),
        django_assert_num_queries,
    )


def test_town_fund_page_query_count(
    client, site, city, city_admin, city_fund, make_user, django_assert_num_queries
):
    north = _town_fund(city, city_admin, region=city.north)

    def grow():
        funds.fund_allocate(
            actor=city_admin, source=city_fund, target=north, amount=Decimal("300"), reference="A"
        )
        funds.fund_top_up(
            actor=city_admin,
            fund=north,
            kind="counterpart",
            amount=Decimal("300"),
            reference=f"{next(_n)}",
        )
        campaign = make_campaign(north, city_admin, name=f"town-match-{next(_n)}")
        line = publish(city.north_a, money="1000.00").lines.get()
        services.pledge_create(donor=make_user(), line=line, quantity=Decimal("100"))
        return campaign

    grow()
    reviewer = make_user(role="town_reviewer", region=city.north)
    client.force_login(reviewer)
    # as the city fund's page, without allocation targets (a town does not allocate)
    _assert_constant(
        client,
        reverse("marketplace:fund", args=[north.pk]),
        12,
        grow,
        django_assert_num_queries,
    )


def test_counterparts_query_count(
    client, site, city, city_admin, city_fund, make_user, django_assert_num_queries
):
    _activity(city_fund, city_admin, make_user, city)
    client.force_login(city_admin)
    # session, user, roles, town funds, deposits, allocations + frame 3
    _assert_constant(
        client,
        reverse("marketplace:counterparts"),
        9,
        lambda: _activity(city_fund, city_admin, make_user, city, towns=4),
        django_assert_num_queries,
    )


def test_campaign_page_query_count(
    client, site, city, city_admin, city_fund, make_user, django_assert_num_queries
):
    campaign = make_campaign(city_fund, city_admin, name="春季配捐")

    def grow():
        for _ in range(3):
            line = publish(city.north_a, money="1000.00").lines.get()
            pay(services.pledge_create(donor=make_user(), line=line, quantity=Decimal("100")))
            org = OrganisationFactory(region=city.north)
            donor = make_user()
            Membership.objects.create(organisation=org, user=donor)
            services.pledge_create(
                donor=donor, line=line, quantity=Decimal("100"), organisation=org
            )
            services.pledge_create(
                donor=make_user(), line=line, quantity=Decimal("50"), anonymous=True
            )

    grow()
    client.force_login(city_admin)
    # session, user, roles, campaign, reserved, matches count, matches page + frame 3
    _assert_constant(
        client,
        reverse("marketplace:campaign", args=[campaign.pk]),
        10,
        grow,
        django_assert_num_queries,
    )


def test_form_pages_query_counts(
    client, site, city, city_admin, city_fund, make_user, django_assert_num_queries
):
    draft = make_campaign(city_fund, city_admin, name="草稿", start=False)
    client.force_login(city_admin)

    def grow():
        _activity(city_fund, city_admin, make_user, city)
        OrganisationFactory(region=city.south)

    # session, user, organisations administered, roles, regions, organisations + frame 3
    _assert_constant(client, reverse("marketplace:fund_create"), 9, grow, django_assert_num_queries)
    # session, user, roles, fund with its figures, regions + frame 3
    _assert_constant(
        client,
        reverse("marketplace:campaign_create", args=[city_fund.pk]),
        8,
        grow,
        django_assert_num_queries,
    )
    # session, user, roles, campaign, regions + frame 3
    _assert_constant(
        client,
        reverse("marketplace:campaign_edit", args=[draft.pk]),
        8,
        grow,
        django_assert_num_queries,
    )
    assert draft.status == CampaignStatus.DRAFT
