"""Browsing the marketplace: the public list (search, filters, sorts, htmx) and a listing's
page (lines with what remains, supporters, claim, steps).

Listings are published through ``listing_publish``; a stand-in organisation is the source
where the test is about the list rather than about wishes (projects do not exist yet).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from marketplace import services
from marketplace.models import Listing, ListingStatus
from marketplace.services import LineSpec
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.marketplace.money import pay, settle


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


def publish(
    community,
    *,
    title: str = "为孩子购买学习用品",
    story: str = "孩子上小学，需要书包和文具。",
    kind: str = "wish",
    category: str = "education",
    urgency: str = "normal",
    need_index: str | None = "50.00",
    deadline: date | None = None,
    money: str | None = "1000.00",
    goods: int | None = None,
    hours: str | None = None,
    published_at=None,
) -> Listing:
    """A listing published through the service, with the lines asked for."""
    lines = []
    if money is not None:
        lines.append(LineSpec(kind="money", target=Decimal(money)))
    if goods is not None:
        lines.append(LineSpec(kind="goods", target=Decimal(goods), description="书包"))
    if hours is not None:
        lines.append(LineSpec(kind="service", target=Decimal(hours), description="辅导"))
    listing = services.listing_publish(
        source=OrganisationFactory(region=community),
        kind=kind,
        title=title,
        story=story,
        category=category,
        community=community,
        urgency=urgency,
        need_index=Decimal(need_index) if need_index is not None else None,
        deadline=deadline,
        lines=lines,
    )
    if published_at is not None:
        Listing.objects.filter(pk=listing.pk).update(published_at=published_at)
    return listing


def give(listing: Listing, donor: User, amount: str, *, confirm: bool = True, **options):
    """*donor* pledges *amount* of the listing's money line (and pays, if *confirm*)."""
    line = listing.lines.get(kind="money")
    pledge = services.pledge_create(donor=donor, line=line, quantity=Decimal(amount), **options)
    if confirm:
        pay(pledge)
    return pledge


def main(text: str) -> str:
    """The page's own content, without header and footer."""
    return text.split("<main", 1)[1].split("</main>", 1)[0]


def references(response) -> list[str]:
    return [listing.reference for listing in response.context["page"]]


# --- The list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_visible_listings_open_first_by_need_index(client, city, site):
    low = publish(city.north_a, title="低", need_index="20.00")
    high = publish(city.north_a, title="高", need_index="80.00")
    full = publish(city.north_a, title="满", need_index="99.00", money="100.00")
    give(full, UserFactory(), "100.00")
    cancelled = publish(city.north_a, title="撤", need_index="90.00")
    Listing.objects.filter(pk=cancelled.pk).update(status=ListingStatus.CANCELLED)

    response = client.get(reverse("marketplace:list"))

    assert response.status_code == 200
    assert references(response) == [high.reference, low.reference, full.reference]
    assert "marketplace/public/list.html" in [t.name for t in response.templates]


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["轮椅", "电动轮椅", "Wheel", "wheelchair"])
def test_search_finds_substrings_of_title_and_story(client, city, site, term):
    """Two Chinese characters are enough (no trigram minimum); ASCII ignores case."""
    in_title = publish(city.north_a, title="为独居老人添置电动轮椅 wheelchair")
    in_story = publish(city.north_a, title="出行", story="老人需要一台电动轮椅 (WHEELCHAIR)。")
    publish(city.north_a, title="学习用品", story="书包和文具")

    found = references(client.get(reverse("marketplace:list"), {"q": term}))

    assert sorted(found) == sorted([in_title.reference, in_story.reference])


@pytest.mark.django_db
def test_search_terms_must_all_match(client, city, site):
    both = publish(city.north_a, title="轮椅", story="送老人去医院复查")
    publish(city.north_a, title="轮椅", story="出门散步")

    found = references(client.get(reverse("marketplace:list"), {"q": "轮椅  医院"}))

    assert found == [both.reference]


@pytest.mark.django_db
def test_each_filter_narrows_the_list(client, city, site):
    soon = timezone.localdate() + timedelta(days=5)
    later = timezone.localdate() + timedelta(days=40)
    a = publish(city.north_a, category="medical", urgency="urgent", deadline=soon, money="500")
    b = publish(
        city.north_b, kind="project", category="education", deadline=later, money=None, goods=3
    )
    c = publish(city.south_a, category="medical", money="5000", hours="6")
    url = reverse("marketplace:list")

    def found(**params) -> set[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        return set(references(response))

    assert found(category="medical") == {a.reference, c.reference}
    assert found(town=city.north.pk) == {a.reference, b.reference}
    assert found(community=city.north_b.pk) == {b.reference}
    assert found(kind="project") == {b.reference}
    assert found(kind="wish") == {a.reference, c.reference}
    assert found(needs="goods") == {b.reference}
    assert found(needs="service") == {c.reference}
    assert found(needs="money") == {a.reference, c.reference}
    assert found(urgency="urgent") == {a.reference}
    assert found(deadline_before=(soon + timedelta(days=1)).isoformat()) == {a.reference}
    assert found(amount_min="1000") == {c.reference}
    assert found(amount_max="1000") == {a.reference}
    assert found(amount_min="100", amount_max="600") == {a.reference}
    assert found(town=city.south.pk, category="medical", needs="service") == {c.reference}


@pytest.mark.django_db
def test_status_filter(client, city, site):
    open_ = publish(city.north_a)
    full = publish(city.north_a, money="100.00")
    give(full, UserFactory(), "100.00")
    delivered = publish(city.north_a)
    Listing.objects.filter(pk=delivered.pk).update(status=ListingStatus.DELIVERED)
    url = reverse("marketplace:list")

    assert references(client.get(url, {"status": "open"})) == [open_.reference]
    assert references(client.get(url, {"status": "fully_pledged"})) == [full.reference]
    assert references(client.get(url, {"status": "delivered"})) == [delivered.reference]
    assert client.get(url, {"status": "cancelled"}).context["form"].errors["status"]


@pytest.mark.django_db
def test_a_bad_filter_is_shown_and_ignored_while_the_others_apply(client, city, site):
    a = publish(city.north_a, category="medical", money="500")
    publish(city.north_a, category="education", money="500")

    response = client.get(
        reverse("marketplace:list"),
        {"category": "medical", "amount_min": "abc", "town": "999999", "deadline_before": "x"},
    )

    assert response.status_code == 200
    assert references(response) == [a.reference]
    assert set(response.context["form"].errors) == {"amount_min", "town", "deadline_before"}


@pytest.mark.django_db
def test_an_upside_down_amount_range_is_refused(client, city, site):
    publish(city.north_a, money="500")
    response = client.get(reverse("marketplace:list"), {"amount_min": "900", "amount_max": "100"})
    assert "amount_max" in response.context["form"].errors
    assert references(response) == []  # the valid minimum still applies: 500 < 900


@pytest.mark.django_db
def test_sorts(client, city, site):
    today = timezone.localdate()
    now = timezone.now()
    a = publish(
        city.north_a,
        need_index="90.00",
        deadline=today + timedelta(days=30),
        money="1000",
        published_at=now - timedelta(days=3),
    )
    b = publish(
        city.north_a,
        need_index="10.00",
        deadline=today + timedelta(days=3),
        money="100",
        published_at=now - timedelta(days=1),
    )
    c = publish(
        city.north_a,
        need_index=None,
        deadline=None,
        money=None,
        goods=2,
        published_at=now - timedelta(days=2),
    )
    d = publish(
        city.north_a,
        need_index="50.00",
        deadline=today + timedelta(days=10),
        money="1000",
        published_at=now - timedelta(days=4),
    )
    donor = UserFactory()
    give(b, donor, "30")  # 30 %
    give(d, donor, "600")  # 60 %
    give(a, donor, "100", confirm=False)  # reserved, not confirmed: 0 %
    url = reverse("marketplace:list")

    def order(sort: str) -> list[str]:
        return references(client.get(url, {"sort": sort}))

    assert order("need") == [a.reference, d.reference, b.reference, c.reference]
    assert order("deadline") == [b.reference, d.reference, a.reference, c.reference]
    assert order("newest") == [b.reference, c.reference, a.reference, d.reference]
    # Closest to the money goal; a listing without a money line comes last.
    assert order("goal") == [d.reference, b.reference, a.reference, c.reference]
    assert order("nonsense") == order("need")


@pytest.mark.django_db
def test_cards_show_progress_supporters_and_claims(client, city, site, english):
    listing = publish(city.north_a, title="助学", money="1000", goods=4)
    claimed = publish(city.north_b, title="认领", money="200")
    ann, bob, cat = UserFactory(), UserFactory(), UserFactory()
    give(listing, ann, "250")
    give(listing, ann, "100")  # the same donor twice is one supporter
    give(listing, bob, "50", confirm=False)  # reserving counts
    expired = give(listing, cat, "50", confirm=False)
    expired.expires_at = timezone.now() - timedelta(minutes=1)
    expired.save(update_fields=["expires_at"])  # a lapsed reservation does not count
    services.claim_create(donor=cat, listing=claimed)

    response = client.get(reverse("marketplace:list"))

    cards = {item.reference: item for item in response.context["page"]}
    assert cards[listing.reference].supporters == 2 and not cards[listing.reference].claimed
    assert cards[claimed.reference].claimed and cards[claimed.reference].supporters == 0
    text = response.text
    assert '<progress max="100" value="35"' in text  # 350 of 1000
    assert '<progress max="100" value="0"' in text
    assert "35% confirmed" in text
    assert "style=" not in main(text)  # CSP: no inline styles
    assert text.count('badge-success">Claimed<') == 1


@pytest.mark.django_db
def test_htmx_gets_the_results_only_and_the_form_works_without_javascript(client, city, site):
    listing = publish(city.north_a, title="轮椅")
    url = reverse("marketplace:list")

    page = client.get(url)
    assert f'hx-get="{url}"' in page.text and 'hx-target="#listing-results"' in page.text
    assert 'method="get"' in page.text and f'action="{url}"' in page.text
    assert 'type="submit"' in page.text  # no JavaScript: the button submits the form

    partial = client.get(url, {"q": "轮椅"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert [t.name for t in partial.templates][0] == "marketplace/public/includes/results.html"
    assert "<html" not in partial.text and listing.reference in partial.text
    assert "HX-Request" in partial["Vary"] and "HX-Request" in page["Vary"]


@pytest.mark.django_db
def test_empty_states(client, city, site):
    url = reverse("marketplace:list")
    none_yet = client.get(url)
    assert none_yet.context["page"].paginator.count == 0
    assert 'class="empty"' in none_yet.text
    publish(city.north_a, title="轮椅")
    nothing = client.get(url, {"q": "钢琴"})
    assert nothing.context["page"].paginator.count == 0
    assert 'class="empty"' in nothing.text
    assert f'href="{url}"' in nothing.text.split('class="empty"', 1)[1]  # "show all"


@pytest.mark.django_db
def test_paginated_by_twenty_keeping_the_filters(client, city, site):
    for n in range(21):
        publish(city.north_a, title=f"轮椅{n}", need_index=f"{50 + n}.00")
    url = reverse("marketplace:list")

    first = client.get(url, {"q": "轮椅"})
    second = client.get(url, {"q": "轮椅", "page": 2})

    assert len(references(first)) == 20 and len(references(second)) == 1
    assert "q=%E8%BD%AE%E6%A4%85&amp;page=2" in first.text


@pytest.mark.django_db
def test_list_in_english(client, city, site, english):
    publish(city.north_a, category="medical", urgency="urgent")
    response = client.get(reverse("marketplace:list"))
    assert response.status_code == 200
    assert response.wsgi_request.path.startswith("/en/give/")
    assert "Medical" in response.text and "Urgent" in response.text


# --- One listing ------------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_shows_lines_with_what_remains(client, city, site):
    listing = publish(city.north_a, money="1000", goods=4, hours="6")
    ann, bob = UserFactory(display_name="热心的安"), UserFactory(display_name="鲍勃")
    give(listing, ann, "300")
    give(listing, bob, "200", confirm=False)
    goods = listing.lines.get(kind="goods")
    services.pledge_confirm(
        pledge=services.pledge_create(donor=bob, line=goods, quantity=Decimal("1"))
    )

    response = client.get(reverse("marketplace:detail", args=[listing.reference]))

    assert response.status_code == 200
    lines = {line.kind: line for line in response.context["lines"]}
    money = lines["money"]
    assert (money.confirmed, money.reserved, money.remaining) == (300, 200, 500)
    assert money.remaining == services.line_remaining(money)
    assert (lines["goods"].confirmed, lines["goods"].remaining) == (1, 3)
    assert lines["service"].remaining == 6
    assert response.context["listing"].supporters == 2
    text = response.text
    assert "¥500" in text and "¥200" in text and '<progress max="100" value="30"' in text


@pytest.mark.django_db
def test_detail_names_donors_or_says_anonymous_never_emails(client, city, site, english):
    listing = publish(city.north_a, money="1000")
    named = UserFactory(display_name="热心的安", email="ann.private@example.org")
    hidden = UserFactory(display_name="不想露名", email="hidden.private@example.org")
    blank = UserFactory(display_name="", email="blank.private@example.org")
    give(listing, named, "100")
    give(listing, hidden, "100", anonymous=True)
    give(listing, blank, "100", confirm=False)

    text = client.get(reverse("marketplace:detail", args=[listing.reference])).text

    assert "热心的安" in text
    assert "不想露名" not in text
    assert text.count("anonymous donor") == 2
    assert "private@example.org" not in text and "@" not in main(text)


@pytest.mark.django_db
def test_detail_shows_an_organisations_name_unless_anonymous(client, city, site):
    from accounts.models import Membership

    listing = publish(city.north_a, money="1000")
    donor = UserFactory(display_name="员工甲")
    company = OrganisationFactory(name="邻里公益科技有限公司", region=city.north)
    Membership.objects.create(organisation=company, user=donor)
    give(listing, donor, "100", organisation=company)

    text = client.get(reverse("marketplace:detail", args=[listing.reference])).text

    assert "邻里公益科技有限公司" in text


@pytest.mark.django_db
def test_detail_shows_a_claim_until_it_lapses(client, city, site, english):
    listing = publish(city.north_a)
    claim = services.claim_create(donor=UserFactory(), listing=listing)
    url = reverse("marketplace:detail", args=[listing.reference])

    held = client.get(url)
    assert held.context["listing"].claimed_until == claim.expires_at
    assert timezone.localtime(claim.expires_at).strftime("%Y-%m-%d %H:%M") in held.text

    claim.expires_at = timezone.now() - timedelta(seconds=1)
    claim.save(update_fields=["expires_at"])
    lapsed = client.get(url)
    assert lapsed.context["listing"].claimed_until is None
    assert 'badge-success">Claimed<' not in lapsed.text


@pytest.mark.django_db
def test_detail_of_a_wish_shows_its_public_steps(client, listing, site, english):
    """The wish's publication and the listing's own steps; never who acted or why."""
    for line in listing.lines.all():
        pledge = services.pledge_create(donor=UserFactory(), line=line, quantity=line.target)
        settle(pledge)

    response = client.get(reverse("marketplace:detail", args=[listing.reference]))

    labels = sorted(str(label) for label, _ in response.context["timeline"])
    assert labels == ["Fully pledged", "Opened to donors", "Published after its public notice"]
    assert "system" not in main(response.text)


@pytest.mark.django_db
def test_detail_escapes_the_story_and_keeps_its_line_breaks(client, city, site):
    listing = publish(city.north_a, story="第一行<script>alert(1)</script>\n第二行")
    text = client.get(reverse("marketplace:detail", args=[listing.reference])).text
    assert "<script>alert(1)" not in text and "&lt;script&gt;" in text
    assert "第一行&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行" in text


@pytest.mark.django_db
def test_cancelled_or_unknown_listing_is_404(client, city, site):
    listing = publish(city.north_a)
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.CANCELLED)
    assert client.get(reverse("marketplace:detail", args=[listing.reference])).status_code == 404
    assert client.get(reverse("marketplace:detail", args=["L0000-NOPE"])).status_code == 404


@pytest.mark.django_db
def test_claim_and_pledge_buttons_appear_only_once_those_pages_exist(client, city, site):
    from django.urls import NoReverseMatch

    listing = publish(city.north_a)
    response = client.get(reverse("marketplace:detail", args=[listing.reference]))
    try:
        claim_url = reverse("marketplace:claim", args=[listing.reference])
    except NoReverseMatch:
        assert response.context["claim_url"] is None and response.context["pledge_url"] is None
        assert 'id="give"' in response.text  # the place is there, waiting
    else:
        assert response.context["claim_url"] == claim_url
        assert claim_url in response.text


@pytest.mark.django_db
def test_a_closed_listing_offers_no_buttons(client, city, site):
    listing = publish(city.north_a, money="100")
    give(listing, UserFactory(), "100")
    response = client.get(reverse("marketplace:detail", args=[listing.reference]))
    assert response.context["listing"].status == ListingStatus.FULLY_PLEDGED
    assert response.context["claim_url"] is None and response.context["pledge_url"] is None
