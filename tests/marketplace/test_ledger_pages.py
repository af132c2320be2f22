"""The public ledger (阳光账本): every figure on the city, fund, campaign and listing pages
and in the downloads equals the ledger's own lines to the cent; downloads are well formed;
"match remaining" on the listings changes the moment a pledge reserves a pool.

Expected figures are summed straight from ``LedgerLine`` rows here, never through the
selectors under test, and checked against the hand-worked numbers of ``ledger_world``.
"""

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation

from accounts.money import format_cny
from marketplace import funds, services
from marketplace.models import (
    AccountKind,
    CampaignStatus,
    LedgerLine,
    LedgerTransaction,
    TransactionKind,
)
from tests.marketplace.funds_helpers import assert_ledger_consistent
from tests.marketplace.ledger_world import COMPANY, NAMED_DONOR, SUPPLIER, build, campaign
from tests.marketplace.money import pay
from tests.marketplace.test_browse import main, publish

MATCH_KINDS = ["match", "hours_match", "match_return"]
HOLDING = [AccountKind.ESCROW, AccountKind.FUND, AccountKind.CLEARING]

_slugs = count(1)


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


@pytest.fixture
def world(city, make_user, city_admin, city_fund, site):
    return build(city, make_user, city_admin, city_fund)


def lines(**filters) -> Decimal:
    """The sum of the ledger lines that match *filters*, to the cent."""
    total = LedgerLine.objects.filter(**filters).aggregate(total=Sum("amount"))["total"]
    return (total or Decimal(0)).quantize(Decimal("0.01"))


def figure(html: str, element_id: str) -> str:
    """The text of the element with *element_id* (a figure on the page)."""
    found = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', html)
    assert found, f"no #{element_id}"
    return found.group(1).strip()


def row_amounts(html: str, row_id: str) -> list[str]:
    """The ¥ amounts in the table row with *row_id*, in order."""
    found = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', html, re.S)
    assert found, f"no row #{row_id}"
    return re.findall(r"[−+]?¥[\d,]+\.\d\d", found.group(1))


def download(client, name: str, *args, fmt: str, **params):
    response = client.get(reverse(f"marketplace:{name}", args=[*args, fmt]), params)
    assert response.status_code == 200
    return response, b"".join(response.streaming_content).decode("utf-8")


def cny(amount: Decimal) -> str:
    return format_cny(amount)


# --- Totals equal the ledger ------------------------------------------------------------


@pytest.mark.django_db
def test_city_totals_equal_the_ledger_to_the_cent(client, world):
    expected = {
        "donors": -lines(account__kind=AccountKind.DONATIONS_IN),
        "public": -lines(account__kind=AccountKind.PUBLIC_IN),
        "matched": lines(account__kind=AccountKind.ESCROW, transaction__kind__in=MATCH_KINDS),
        "paid-out": lines(account__kind=AccountKind.PAYOUTS),
        "refunded": lines(account__kind=AccountKind.REFUNDS),
        "held": lines(account__kind__in=HOLDING),
        "donor-payments": -lines(
            account__kind=AccountKind.DONATIONS_IN, transaction__kind=TransactionKind.PAYMENT
        ),
        "fund-donations": -lines(
            account__kind=AccountKind.DONATIONS_IN, transaction__kind=TransactionKind.TOP_UP
        ),
        "appropriations": -lines(
            account__kind=AccountKind.PUBLIC_IN, transaction__kind=TransactionKind.TOP_UP
        ),
        "counterparts": -lines(
            account__kind=AccountKind.PUBLIC_IN, transaction__kind=TransactionKind.COUNTERPART
        ),
        "disbursed": lines(
            account__kind=AccountKind.PAYOUTS, transaction__kind=TransactionKind.DISBURSEMENT
        ),
        "granted": lines(
            account__kind=AccountKind.PAYOUTS, transaction__kind=TransactionKind.GRANT
        ),
        "in-escrow": lines(account__kind=AccountKind.ESCROW),
        "in-funds": lines(account__kind=AccountKind.FUND),
        "in-clearing": lines(account__kind=AccountKind.CLEARING),
    }
    # The hand-worked figures (ledger_world's docstring): the ledger says what we meant.
    assert expected["donors"] == Decimal("4300.00")
    assert expected["public"] == Decimal("120000.00")
    assert expected["matched"] == Decimal("1200.00")
    assert expected["paid-out"] == Decimal("2400.00")
    assert expected["refunded"] == Decimal("100.00")
    assert expected["held"] == Decimal("121800.00")
    assert_ledger_consistent()

    html = client.get(reverse("marketplace:ledger")).text
    for name, amount in expected.items():
        assert figure(html, f"total-{name}") == cny(amount), name

    _response, body = download(client, "ledger_download", fmt="json")
    totals = json.loads(body)["totals"]
    for name, amount in expected.items():
        assert totals[name.replace("-", "_")] == str(amount), name
    assert Decimal(totals["money_in"]) - Decimal(totals["paid_out"]) - Decimal(
        totals["refunded"]
    ) == Decimal(totals["held"])


@pytest.mark.django_db
def test_every_fund_and_campaign_on_the_city_page_equals_the_ledger(client, world):
    html = client.get(reverse("marketplace:ledger")).text
    for fund in (world.city_fund, world.town_fund):
        inflow = lines(account=fund.account, amount__gt=0)
        outflow = -lines(account=fund.account, amount__lt=0)
        assert row_amounts(html, f"fund-{fund.pk}") == [
            cny(inflow),
            cny(outflow),
            cny(inflow - outflow),
            cny(Decimal(0)),  # nothing reserved: every pledge was paid or refunded
        ]
    matched = lines(
        account__kind=AccountKind.ESCROW,
        transaction__campaign=world.campaign,
        transaction__kind__in=MATCH_KINDS,
    )
    assert matched == Decimal("1200.00")
    assert row_amounts(html, f"campaign-{world.campaign.slug}") == [
        cny(matched),
        cny(Decimal("2000")),
        cny(Decimal("2000") - matched),
    ]
    assert world.campaign.name in html and "东莞市专项资金" in html


@pytest.mark.django_db
def test_fund_pages_equal_the_ledger(client, world):
    for fund in (world.city_fund, world.town_fund):
        inflow = lines(account=fund.account, amount__gt=0)
        outflow = -lines(account=fund.account, amount__lt=0)
        html = client.get(reverse("marketplace:ledger_fund", args=[fund.pk])).text
        assert figure(html, "fund-inflow") == cny(inflow)
        assert figure(html, "fund-outflow") == cny(outflow)
        assert figure(html, "fund-balance") == cny(inflow - outflow)
        assert figure(html, "fund-committed") == cny(Decimal(0))
        _response, body = download(client, "ledger_fund_download", fund.pk, fmt="json")
        data = json.loads(body)
        assert data["totals"]["inflow"] == str(inflow)
        assert data["totals"]["outflow"] == str(outflow)
        assert data["totals"]["balance"] == str(inflow - outflow)
        # The download holds every transaction that touched the fund.
        touching = LedgerTransaction.objects.filter(lines__account=fund.account).distinct()
        assert {row["reference"] for row in data["transactions"]} == set(
            touching.values_list("reference", flat=True)
        )
    town = client.get(reverse("marketplace:ledger_fund", args=[world.town_fund.pk])).text
    # top-up (kind, from, reference), the allocation in, the express payment (community)
    assert "北城街道财政所" in town and "北财配〔2026〕1号" in town
    assert "东财拨〔2026〕3号" in town and "北一社区" in town and cny(Decimal("800")) in town


@pytest.mark.django_db
def test_campaign_page_equals_the_ledger(client, world):
    campaign = world.campaign
    matched = lines(
        account__kind=AccountKind.ESCROW,
        transaction__campaign=campaign,
        transaction__kind__in=MATCH_KINDS,
    )
    html = client.get(reverse("marketplace:campaign_page", args=[campaign.slug])).text
    assert figure(html, "campaign-matched") == cny(matched)
    assert figure(html, "campaign-remaining") == cny(campaign.pool_cap - matched)
    assert figure(html, "campaign-reserved") == cny(Decimal(0))
    assert figure(html, "campaign-pool") == cny(campaign.pool_cap)
    # each listing it matched, with what it matched there (net of the returned match)
    for listing in (world.supplier_listing, world.wish_listing, world.open_listing):
        amount = lines(
            account__kind=AccountKind.ESCROW,
            transaction__campaign=campaign,
            transaction__kind__in=MATCH_KINDS,
            transaction__listing=listing,
        )
        assert re.search(
            rf"{listing.reference}</a></td><td>{listing.title}</td><td>{re.escape(cny(amount))}",
            html,
        ), listing.reference
    assert "1:1" in html
    _response, body = download(client, "campaign_download", campaign.slug, fmt="json")
    data = json.loads(body)
    assert data["totals"]["matched"] == str(matched)
    assert data["totals"]["remaining"] == str(campaign.pool_cap - matched)
    rows = data["transactions"]
    net = sum(
        (Decimal(r["amount"]) * (-1 if r["kind"] == "match_return" else 1) for r in rows),
        Decimal(0),
    )
    assert net == matched


@pytest.mark.django_db
def test_listing_pages_equal_the_ledger(client, world):
    for listing in (world.supplier_listing, world.wish_listing, world.open_listing):
        on = {"transaction__listing": listing}
        donors = -lines(account__kind=AccountKind.DONATIONS_IN, **on)
        matched = lines(account__kind=AccountKind.ESCROW, transaction__kind__in=MATCH_KINDS, **on)
        refunded = lines(account__kind=AccountKind.REFUNDS, **on)
        paid_out = lines(account__kind=AccountKind.PAYOUTS, **on)
        escrow = lines(account__listing=listing)
        assert donors + matched - refunded - paid_out == escrow
        for url in (
            reverse("marketplace:listing_ledger", args=[listing.reference]),
            reverse("marketplace:detail", args=[listing.reference]),
        ):
            html = client.get(url).text
            assert figure(html, "money-donors") == cny(donors), url
            assert figure(html, f"money-matched-{world.campaign.slug}") == cny(matched), url
            assert figure(html, "money-in") == cny(donors + matched), url
            assert figure(html, "money-escrow") == cny(escrow), url
            if refunded:
                assert figure(html, "money-refunded") == cny(refunded), url
            for payout in listing.disbursements.all():
                assert figure(html, f"payout-{payout.pk}") == cny(payout.amount), url
        _response, body = download(client, "listing_ledger_download", listing.reference, fmt="json")
        totals = json.loads(body)["totals"]
        assert totals["donors"] == str(donors)
        assert totals["matched"] == str(matched)
        assert totals["refunded"] == str(refunded)
        assert totals["paid_out"] == str(paid_out)
        assert totals["escrow"] == str(escrow)
    assert lines(account__listing=world.open_listing) == Decimal("800.00")


@pytest.mark.django_db
def test_listing_money_names_donors_as_the_listing_page_does(client, world, english):
    def page(listing) -> str:
        return main(
            client.get(reverse("marketplace:listing_ledger", args=[listing.reference])).text
        )

    html = page(world.supplier_listing)
    assert NAMED_DONOR in html and f"Paid to {SUPPLIER}" in html
    html = page(world.wish_listing)
    assert "anonymous donor" in html  # the anonymous pledge
    assert "Paid to the recipient" in html  # never named
    assert COMPANY in page(world.open_listing)  # an organisation's pledge


@pytest.mark.django_db
def test_a_town_narrows_the_ledger(client, world, city):
    html = client.get(reverse("marketplace:ledger"), {"town": city.north.pk}).text
    # Listings A and W and the town's fund: donors 800, counterpart 20,000, matched 800,
    # paid out 1,000 + 600 + 800 (express), held: the town fund's 39,200.
    assert figure(html, "total-donors") == cny(Decimal("800"))
    assert figure(html, "total-public") == cny(Decimal("20000"))
    assert figure(html, "total-matched") == cny(Decimal("800"))
    assert figure(html, "total-paid-out") == cny(Decimal("2400"))
    assert figure(html, "total-refunded") == cny(Decimal("0"))
    assert figure(html, "total-held") == cny(lines(account=world.town_fund.account))
    assert f'id="fund-{world.town_fund.pk}"' in html
    assert f'id="fund-{world.city_fund.pk}"' not in html
    assert f'id="campaign-{world.campaign.slug}"' in html  # a city campaign matches there
    assert world.open_listing.reference not in html  # south
    _response, body = download(client, "ledger_download", fmt="json", town=city.north.pk)
    data = json.loads(body)
    assert data["scope"] == "town" and data["totals"]["donors"] == "800.00"
    assert world.open_listing.reference not in body
    # A town that is not one is ignored: the whole city.
    html = client.get(reverse("marketplace:ledger"), {"town": "999999"}).text
    assert figure(html, "total-donors") == cny(Decimal("4300"))


# --- Downloads ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_downloads_open_in_excel(client, world):
    response, body = download(client, "ledger_download", fmt="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="linli-ledger.csv"'
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    # Headers in the page's language (the new ones read in Chinese once compiled).
    assert len(rows[0]) == 9 and rows[0][0] == "日期" and rows[0][-1] == "金额（元）"
    assert len(rows) == 1 + LedgerTransaction.objects.count()
    for row in rows[1:]:
        assert re.fullmatch(r"\d+\.\d\d", row[-1]), row  # a decimal string, in cents
    top_up = next(r for r in rows if r[4] == "东财〔2026〕1号")
    assert top_up[-1] == "100000.00" and top_up[6] == "东莞市专项资金"
    with translation.override("en"):
        url = reverse("marketplace:ledger_download", args=["csv"])
    body = b"".join(client.get(url).streaming_content).decode()
    header = next(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert header == [
        "Date",
        "Reference",
        "Kind",
        "Memo",
        "External reference",
        "Listing",
        "Fund",
        "Matching campaign",
        "Amount (yuan)",
    ]


@pytest.mark.django_db
def test_json_downloads_carry_totals_and_decimal_strings(client, world):
    scopes = [
        ("ledger_download", []),
        ("ledger_fund_download", [world.city_fund.pk]),
        ("campaign_download", [world.campaign.slug]),
        ("listing_ledger_download", [world.open_listing.reference]),
    ]
    for name, args in scopes:
        response, body = download(client, name, *args, fmt="json")
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Content-Disposition"].endswith('.json"')
        data = json.loads(body)
        assert data["currency"] == "CNY" and "totals" in data
        for entry in data["transactions"]:
            assert isinstance(entry["amount"], str) and re.fullmatch(r"\d+\.\d\d", entry["amount"])
            assert set(entry) == {
                "date",
                "reference",
                "kind",
                "kind_label",
                "memo",
                "external_reference",
                "listing",
                "fund",
                "campaign",
                "campaign_name",
                "amount",
            }
    _response, body = download(
        client, "listing_ledger_download", world.open_listing.reference, fmt="json"
    )
    kinds = sorted(entry["kind"] for entry in json.loads(body)["transactions"])
    assert kinds == ["match", "match", "match_return", "payment", "payment", "refund"]


@pytest.mark.django_db
def test_a_transaction_is_worth_its_money_once(client, world):
    """A donor's payment passes through the provider's clearing: two positive lines, one
    amount."""
    _response, body = download(client, "ledger_download", fmt="json")
    for entry in json.loads(body)["transactions"]:
        tx = LedgerTransaction.objects.get(reference=entry["reference"])
        moved = lines(transaction=tx, amount__gt=0)
        through = lines(transaction=tx, amount__gt=0, account__kind=AccountKind.CLEARING)
        if tx.kind == TransactionKind.PAYMENT:
            paid = -lines(transaction=tx, account__kind=AccountKind.DONATIONS_IN)
            assert through == paid and moved == 2 * paid  # donors → clearing → escrow
            assert Decimal(entry["amount"]) == paid
        else:
            assert Decimal(entry["amount"]) == moved


@pytest.mark.django_db
def test_bad_format_and_unknown_objects_are_404(client, world):
    for name, args in [
        ("ledger_download", []),
        ("ledger_fund_download", [world.city_fund.pk]),
        ("campaign_download", [world.campaign.slug]),
        ("listing_ledger_download", [world.open_listing.reference]),
    ]:
        for fmt in ("xlsx", "CSV", "pdf"):
            assert client.get(reverse(f"marketplace:{name}", args=[*args, fmt])).status_code == 404
    missing = [
        reverse("marketplace:ledger_fund", args=[999999]),
        reverse("marketplace:ledger_fund_download", args=[999999, "csv"]),
        reverse("marketplace:campaign_page", args=["no-such-campaign"]),
        reverse("marketplace:campaign_download", args=["no-such-campaign", "json"]),
        reverse("marketplace:listing_ledger", args=["L0000-NONE"]),
        reverse("marketplace:listing_ledger_download", args=["L0000-NONE", "csv"]),
    ]
    for url in missing:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_a_draft_campaign_is_not_public(client, city_fund, city_admin, site):
    draft = campaign(city_fund, city_admin, f"c1-{next(_slugs)}", start=False, name="草稿活动")
    assert client.get(reverse("marketplace:campaign_page", args=[draft.slug])).status_code == 404
    assert "草稿活动" not in client.get(reverse("marketplace:ledger")).text


@pytest.mark.django_db
def test_the_header_links_to_the_ledger(client, site, english):
    html = client.get(reverse("marketplace:ledger")).text
    assert '<a href="/en/ledger/" aria-current="page">Open ledger</a>' in html
    html = client.get(reverse("marketplace:list")).text
    assert '<a href="/en/ledger/">Open ledger</a>' in html


# --- Campaign states and match remaining --------------------------------------------------


def _remaining(html: str) -> str:
    return figure(html, "campaign-remaining")


@pytest.mark.django_db
def test_match_remaining_updates_at_once_and_says_when_the_pool_is_used_up(
    client, city, city_fund, city_admin, make_user, site, english
):
    made = campaign(
        city_fund, city_admin, f"c2-{next(_slugs)}", name="小额配捐", pool_cap=Decimal("300")
    )
    listing = publish(city.north_a, title="添置学习桌", money="1000.00")
    pages = {
        "list": reverse("marketplace:list"),
        "detail": reverse("marketplace:detail", args=[listing.reference]),
        "campaign": reverse("marketplace:campaign_page", args=[made.slug]),
    }
    for name, url in pages.items():
        html = client.get(url).text
        assert "The matching pool is used up" not in html, name
    offer = main(client.get(pages["list"]).text)
    assert "小额配捐" in offer and "¥300.00" in offer and "1:1" in offer
    assert "¥300.00" in client.get(pages["detail"]).text

    # A donor pledges: the match reserves the whole pool (the payment is still to come).
    pledge = services.pledge_create(
        donor=make_user(), line=listing.lines.get(), quantity=Decimal("300")
    )
    for name, url in pages.items():
        html = client.get(url).text
        assert "The matching pool is used up" in html, name
    html = client.get(pages["campaign"]).text
    assert _remaining(html) == "¥0.00" and figure(html, "campaign-reserved") == "¥300.00"

    # The pledge is cancelled: the pool is back at once.
    services.pledge_cancel(actor=pledge.donor, pledge=pledge)
    assert _remaining(client.get(pages["campaign"]).text) == "¥300.00"
    assert "The matching pool is used up" not in client.get(pages["detail"]).text

    # Paid this time: matched, used up for good.
    pay(
        services.pledge_create(donor=make_user(), line=listing.lines.get(), quantity=Decimal("300"))
    )
    html = client.get(pages["campaign"]).text
    assert figure(html, "campaign-matched") == "¥300.00" and _remaining(html) == "¥0.00"
    assert 'id="campaign-state"' in html and "The matching pool is used up" in html
    assert "The matching pool is used up" in client.get(pages["detail"]).text


@pytest.mark.django_db
def test_match_remaining_is_never_more_than_the_sponsor_fund_has_free(
    client, city, city_admin, make_user, site
):
    from marketplace.models import FundOwner, TopUpKind

    fund = funds.fund_create(
        actor=city_admin, name="小基金", owner=FundOwner.CITY, region=city.city
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=fund,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("50"),
        reference="R1",
    )
    made = campaign(fund, city_admin, f"c3-{next(_slugs)}", name="大池子", pool_cap=Decimal("5000"))
    publish(city.north_a, money="1000.00")
    html = client.get(reverse("marketplace:campaign_page", args=[made.slug])).text
    assert _remaining(html) == "¥50.00"
    assert "¥50.00" in main(client.get(reverse("marketplace:list")).text)


@pytest.mark.django_db
def test_only_campaigns_that_would_match_are_offered(
    client, city, city_fund, city_admin, make_user, site, english
):
    campaign(city_fund, city_admin, f"c4-{next(_slugs)}", name="南城专属", region=city.south)
    campaign(
        city_fund, city_admin, f"c5-{next(_slugs)}", name="只配项目", listing_kinds=["project"]
    )
    campaign(city_fund, city_admin, f"c6-{next(_slugs)}", name="只配医疗", categories=["medical"])
    campaign(city_fund, city_admin, f"c7-{next(_slugs)}", name="只配企业", donor_kinds=["company"])
    campaign(
        city_fund,
        city_admin,
        f"c8-{next(_slugs)}",
        name="还没开始",
        starts_at=timezone.now() + timedelta(days=1),
    )
    paused = campaign(city_fund, city_admin, f"c9-{next(_slugs)}", name="暂停中")
    funds.campaign_move(actor=city_admin, campaign=paused, to=CampaignStatus.PAUSED)
    capped = campaign(
        city_fund,
        city_admin,
        f"c10-{next(_slugs)}",
        name="每项限额",
        per_listing_cap=Decimal("100"),
        pool_cap=Decimal("900"),
    )
    listing = publish(city.north_a, money="1000.00", category="education")
    html = main(client.get(reverse("marketplace:detail", args=[listing.reference])).text)
    offered = re.findall(r'<p class="meta match-offer">(.*?)</p>', html, re.S)
    names = [
        n
        for n in ("南城专属", "只配项目", "只配医疗", "只配企业", "还没开始", "暂停中", "每项限额")
        if any(n in o for o in offered)
    ]
    assert names == ["只配企业", "每项限额"]
    assert any("只配企业" in o and "For Companies only." in o for o in offered)
    assert any("每项限额" in o and "¥100.00" in o for o in offered)  # its cap per need

    # A pledge takes the cap on this listing: used up here, still offered elsewhere.
    services.pledge_create(donor=make_user(), line=listing.lines.get(), quantity=Decimal("100"))
    html = main(client.get(reverse("marketplace:detail", args=[listing.reference])).text)
    assert "每项限额" not in html and "只配企业" in html
    other = publish(city.north_a, money="1000.00")
    html = main(client.get(reverse("marketplace:detail", args=[other.reference])).text)
    assert "每项限额" in html
    # Paused and closed campaigns say so on their page.
    page = client.get(reverse("marketplace:campaign_page", args=[paused.slug])).text
    assert "This campaign is paused" in page
    funds.campaign_move(actor=city_admin, campaign=capped, to=CampaignStatus.CLOSED)
    page = client.get(reverse("marketplace:campaign_page", args=[capped.slug])).text
    assert "This campaign is closed" in page
    assert capped.name not in main(client.get(reverse("marketplace:list")).text)


@pytest.mark.django_db
def test_a_listing_that_is_not_open_offers_no_match(client, world):
    html = main(
        client.get(reverse("marketplace:detail", args=[world.supplier_listing.reference])).text
    )
    assert "match-offer" not in html and "match-used-up" not in html
    html = main(client.get(reverse("marketplace:detail", args=[world.open_listing.reference])).text)
    assert "match-offer" in html and "一元配一元" in html and "¥800.00" in html


@pytest.mark.django_db
def test_rules_in_words(client, city_fund, city_admin, site, city):
    made = campaign(
        city_fund,
        city_admin,
        f"c11-{next(_slugs)}",
        name="阶梯配捐",
        tiers=[{"up_to": "50", "ratio": "1.00"}, {"up_to": "200", "ratio": "0.50"}],
        per_pledge_cap=Decimal("80"),
        per_donor_daily_cap=Decimal("100"),
        region=city.north,
        categories=["medical", "education"],
        ends_at=timezone.now() + timedelta(days=30),
    )
    with translation.override("en"):
        url = reverse("marketplace:campaign_page", args=[made.slug])
    html = client.get(url).text
    assert "Each donor&#x27;s first ¥50 is matched 1:1." in html
    assert "From ¥50 to ¥200 of a donor&#x27;s total: 1:0.5." in html
    assert "A donor&#x27;s gifts beyond ¥200 are not matched." in html
    assert "At most ¥80 per pledge." in html and "At most ¥100 per donor per day." in html
    assert "Needs in 北城街道." in html
    assert "Categories: Medical, Education." in html or "Categories: Education, Medical." in html
    assert "until" in html
