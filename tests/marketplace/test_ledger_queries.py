"""Exact query counts of the public ledger's pages and downloads, and of "match remaining"
on the listings, the same before and after the data grows (more funds, campaigns,
transactions and listings).

"frame 3" is what base.html costs on every page (the site and its menus); a signed-in
visitor adds the session and the user. Downloads render no frame.
"""

from decimal import Decimal
from itertools import count

import pytest
from django.urls import reverse

from accounts.roles import Role
from marketplace import funds, services, staff_services
from marketplace.models import CampaignStatus, FundOwner, PayeeKind, TopUpKind
from marketplace.payments import services as payments
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.marketplace.ledger_world import build, campaign
from tests.marketplace.money import pay
from tests.marketplace.test_browse import publish

_n = count(1)

_slugs = count(1)


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


@pytest.fixture
def world(city, make_user, city_admin, city_fund, site):
    return build(city, make_user, city_admin, city_fund)


def _grow(city, make_user, city_admin, city_fund, world) -> None:
    """More of everything: funds, campaigns (active, paused, capped per need), listings with
    paid and matched pledges, a refund, a disbursement, an express payment."""
    n = next(_n)
    staff = make_user(Role.STATION_STAFF, city.south_a)
    south = funds.fund_create(
        actor=city_admin,
        name=f"南城街道基金{n}",
        owner=FundOwner.TOWN,
        region=city.south,
        counterpart_ratio=Decimal("0.50"),
    )
    funds.fund_allocate(
        actor=city_admin, source=city_fund, target=south, amount=Decimal("4000"), reference=f"拨{n}"
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=south,
        kind=TopUpKind.COUNTERPART,
        amount=Decimal("2000"),
        reference=f"配{n}",
    )
    federation = funds.fund_create(
        actor=city_admin,
        name=f"慈善总会基金{n}",
        owner=FundOwner.CHARITY_FEDERATION,
        region=city.city,
        organisation=OrganisationFactory(region=city.city),
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=federation,
        kind=TopUpKind.DONATION,
        amount=Decimal("9000"),
        reference=f"捐{n}",
        source="爱心人士",
    )
    campaign(south, city_admin, f"c1-{next(_slugs)}", name=f"南城配捐{n}", pool_cap=Decimal("1000"))
    campaign(
        federation,
        city_admin,
        f"c2-{next(_slugs)}",
        name=f"总会配捐{n}",
        per_listing_cap=Decimal("50"),
    )
    paused = campaign(
        city_fund, city_admin, f"c3-{next(_slugs)}", name=f"暂停{n}", pool_cap=Decimal("100")
    )
    funds.campaign_move(actor=city_admin, campaign=paused, to=CampaignStatus.PAUSED)
    campaign(city_fund, city_admin, f"c4-{next(_slugs)}", start=False, name=f"草稿{n}")
    for i in range(4):
        listing = publish(city.south_a, title=f"南城需求{n}-{i}", money="2000.00")
        line = listing.lines.get()
        for donor in (UserFactory(), UserFactory()):
            pledge = services.pledge_create(donor=donor, line=line, quantity=Decimal("60"))
            payment = pay(pledge)
        if i == 0:
            payments.payment_refund(
                payment=payment, actor=city_admin, reason="重复", refund_reference=f"退{n}"
            )
        if i == 1:
            line.refresh_from_db()
            if line.confirmed < line.target:  # the matches may have filled it already
                pay(
                    services.pledge_create(
                        donor=UserFactory(), line=line, quantity=line.target - line.confirmed
                    )
                )
            staff_services.listing_delivered(actor=staff, listing=listing, note="送达")
            payout = funds.disbursement_request(
                actor=staff,
                listing=listing,
                amount=Decimal("300"),
                payee_kind=PayeeKind.CONTRACTOR,
                payee_name="施工队",
            )
            funds.disbursement_approve(
                actor=city_admin, disbursement=payout, payment_reference=f"付{n}"
            )
    # More for the world's own fund, campaign and listing.
    funds.fund_grant(
        actor=city_admin,
        fund=world.town_fund,
        source=OrganisationFactory(region=city.north),
        region=city.north_a,
        amount=Decimal("100"),
        payee_name="某人",
        payee_account="1",
        payment_reference=f"速{n}",
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=world.town_fund,
        kind=TopUpKind.DONATION,
        amount=Decimal("10"),
        reference=f"小额{n}",
    )
    for _ in range(3):
        pay(
            services.pledge_create(
                donor=UserFactory(), line=world.open_listing.lines.get(), quantity=Decimal("20")
            )
        )
    other = publish(city.north_b, money="500.00")
    pay(services.pledge_create(donor=UserFactory(), line=other.lines.get(), quantity=Decimal("40")))


def _consume(response) -> None:
    if response.streaming:
        b"".join(response.streaming_content)


@pytest.mark.django_db
def test_ledger_page_query_counts(
    client, city, make_user, city_admin, city_fund, world, django_assert_num_queries
):
    pages = [
        # towns, totals, funds, campaigns, transactions counted and one page of them + frame 3
        (reverse("marketplace:ledger"), 9),
        (reverse("marketplace:ledger") + "?page=2", 9),
        # the same with the town's held money summed apart
        (reverse("marketplace:ledger") + f"?town={city.north.pk}", 10),
        # the fund with its figures, its lines counted and one page of them, top-ups,
        # allocations, campaigns, express payments + frame 3
        (reverse("marketplace:ledger_fund", args=[world.city_fund.pk]), 10),
        (reverse("marketplace:ledger_fund", args=[world.town_fund.pk]), 10),
        # the campaign with its figures, the listings it matched counted and a page + frame 3
        (reverse("marketplace:campaign_page", args=[world.campaign.slug]), 6),
        # the listing, its money by kind, its payouts, transactions counted and a page + frame 3
        (reverse("marketplace:listing_ledger", args=[world.open_listing.reference]), 8),
        (reverse("marketplace:listing_ledger", args=[world.supplier_listing.reference]), 8),
    ]
    for url, _ in pages:
        client.get(url)  # warm Wagtail's per-process caches
    for grow in (False, True, True):
        if grow:
            _grow(city, make_user, city_admin, city_fund, world)
        for url, queries in pages:
            with django_assert_num_queries(queries):
                assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_ledger_page_query_counts_signed_in(client, world, django_assert_num_queries):
    client.force_login(UserFactory())
    url = reverse("marketplace:ledger")
    client.get(url)
    # session, user + the anonymous count
    with django_assert_num_queries(11):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_download_query_counts(
    client, city, make_user, city_admin, city_fund, world, django_assert_num_queries
):
    downloads = [
        # every transaction, streamed in one query (no frame, no towns without ?town=)
        (reverse("marketplace:ledger_download", args=["csv"]), 1),
        # + the totals
        (reverse("marketplace:ledger_download", args=["json"]), 2),
        # towns, transactions; for JSON the totals in two
        (reverse("marketplace:ledger_download", args=["csv"]) + f"?town={city.north.pk}", 2),
        (reverse("marketplace:ledger_download", args=["json"]) + f"?town={city.north.pk}", 4),
        # the fund with its figures, its transactions
        (reverse("marketplace:ledger_fund_download", args=[world.town_fund.pk, "csv"]), 2),
        (reverse("marketplace:ledger_fund_download", args=[world.town_fund.pk, "json"]), 2),
        # the campaign with its figures, its transactions
        (reverse("marketplace:campaign_download", args=[world.campaign.slug, "csv"]), 2),
        (reverse("marketplace:campaign_download", args=[world.campaign.slug, "json"]), 2),
        # the listing, its transactions; for JSON its money by kind
        (
            reverse(
                "marketplace:listing_ledger_download", args=[world.open_listing.reference, "csv"]
            ),
            2,
        ),
        (
            reverse(
                "marketplace:listing_ledger_download", args=[world.open_listing.reference, "json"]
            ),
            3,
        ),
    ]
    for grow in (False, True):
        if grow:
            _grow(city, make_user, city_admin, city_fund, world)
        for url, queries in downloads:
            with django_assert_num_queries(queries):
                response = client.get(url)
                _consume(response)
            assert response.status_code == 200, url


@pytest.mark.django_db
def test_match_remaining_costs_one_query_on_the_list(
    client, city, make_user, city_admin, city_fund, site, django_assert_num_queries
):
    """The list reads the active campaigns once (and, with a cap per need, what they hold
    on the page's listings once), however many listings and campaigns there are."""
    url = reverse("marketplace:list")
    publish(city.north_a, money="1000.00")
    client.get(url)
    for grow in range(3):
        if grow:
            campaign(
                city_fund,
                city_admin,
                f"c5-{next(_slugs)}",
                name=f"配捐{grow}",
                pool_cap=Decimal("500"),
            )
            campaign(
                city_fund,
                city_admin,
                f"c6-{next(_slugs)}",
                name=f"限额{grow}",
                per_listing_cap=Decimal("30"),
            )
            for i in range(6):
                listing = publish(city.north_a if i % 2 else city.south_a, money="800.00")
                services.pledge_create(
                    donor=UserFactory(), line=listing.lines.get(), quantity=Decimal("50")
                )
        # regions, count, page, lines, campaigns [+ held per need once a cap exists] + frame 3
        with django_assert_num_queries(8 if grow == 0 else 9):
            response = client.get(url)
        assert response.status_code == 200
        with django_assert_num_queries(5 if grow == 0 else 6):  # htmx: no frame
            client.get(url, headers={"HX-Request": "true"})


@pytest.mark.django_db
def test_match_remaining_costs_the_same_on_the_detail(
    client, city, make_user, city_admin, city_fund, site, django_assert_num_queries
):
    listing = publish(city.north_a, money="1000.00")
    url = reverse("marketplace:detail", args=[listing.reference])
    client.get(url)
    for grow in range(3):
        if grow:
            campaign(
                city_fund,
                city_admin,
                f"c7-{next(_slugs)}",
                name=f"配捐{grow}",
                pool_cap=Decimal("500"),
            )
            campaign(
                city_fund,
                city_admin,
                f"c8-{next(_slugs)}",
                name=f"限额{grow}",
                per_listing_cap=Decimal("30"),
            )
            pay(
                services.pledge_create(
                    donor=UserFactory(), line=listing.lines.get(), quantity=Decimal("50")
                )
            )
        # listing, lines, supporters, steps, campaigns [+ held on this listing], money by
        # kind, payouts + frame 3
        with django_assert_num_queries(10 if grow == 0 else 11):
            assert client.get(url).status_code == 200
