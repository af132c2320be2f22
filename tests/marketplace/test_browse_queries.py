"""Exact query counts of the public marketplace pages, the same before and after the data
grows (more listings, pledges from several donors, claims).

"frame 3" is what base.html costs on every public page (the site and its menus).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from marketplace import services
from tests.accounts.factories import UserFactory
from tests.marketplace.money import pay
from tests.marketplace.test_browse import give, publish

SOON = date(2099, 1, 1)
FILTERS = {
    "q": "轮椅",
    "category": "education",
    "town": None,  # filled in by the test
    "community": None,
    "kind": "wish",
    "needs": "money",
    "urgency": "urgent",
    "deadline_before": "2099-12-31",
    "amount_min": "10",
    "amount_max": "100000",
    "status": "open",
    "sort": "goal",
}


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


def _grow(city, n: int = 10) -> None:
    """*n* more listings, each with pledges from several donors and some claimed."""
    donors = [UserFactory() for _ in range(4)]
    for i in range(n):
        listing = publish(
            city.north_a if i % 2 else city.south_a,
            title=f"添置轮椅 {i}",
            urgency="urgent",
            deadline=SOON,
            money="1000",
            goods=2,
            hours="3",
        )
        if i % 3 == 0:
            services.claim_create(donor=donors[0], listing=listing)
            give(listing, donors[0], "100")
            continue
        for donor in donors[1:]:
            give(listing, donor, "100", confirm=i % 2 == 0, anonymous=i % 4 == 1)


@pytest.mark.django_db
def test_list_query_counts(client, city, site, django_assert_num_queries):
    for _ in range(3):
        publish(city.north_a, title="添置轮椅", urgency="urgent", deadline=SOON)
    url = reverse("marketplace:list")
    filters = {**FILTERS, "town": city.north.pk, "community": city.north_a.pk}
    client.get(url)  # warm Wagtail's per-process caches
    for grow in (False, True):
        if grow:
            _grow(city)
        # regions, count, page of listings (community, town, supporters, claim and money
        # annotated), their lines, the active matching campaigns + frame 3
        with django_assert_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200 and len(response.context["page"]) > 0
        with django_assert_num_queries(8):
            response = client.get(url, filters)
        assert response.status_code == 200 and len(response.context["page"]) > 0
        # nothing found: no page to read
        with django_assert_num_queries(5):
            assert client.get(url, {"q": "不存在的词"}).status_code == 200
        # htmx: the results only, no frame
        with django_assert_num_queries(5):
            response = client.get(url, filters, headers={"HX-Request": "true"})
        assert response.status_code == 200


@pytest.mark.django_db
def test_list_query_count_signed_in(client, city, site, django_assert_num_queries):
    publish(city.north_a)
    client.force_login(UserFactory())
    url = reverse("marketplace:list")
    client.get(url)
    # session, user + the anonymous count
    with django_assert_num_queries(10):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_detail_query_counts(client, city, listing, site, django_assert_num_queries):
    """A wish's listing: its publication step costs one query more than a project's."""
    other = publish(city.north_b, kind="project", money="500")
    urls = [
        (reverse("marketplace:detail", args=[listing.reference]), 11),
        (reverse("marketplace:detail", args=[other.reference]), 10),
    ]
    for url, _ in urls:
        client.get(url)
    for grow in (False, True):
        if grow:
            _grow(city)
            donors = [UserFactory() for _ in range(5)]
            money = listing.lines.get(kind="money")
            for n, donor in enumerate(donors):
                pledge = services.pledge_create(
                    donor=donor, line=money, quantity=Decimal("50"), anonymous=n % 2 == 0
                )
                if n % 3:
                    pay(pledge)
            services.claim_create(donor=donors[0], listing=other)
            give(other, donors[0], "100")
        for url, queries in urls:
            # listing (community, town, supporters, claim annotated), lines with their
            # reservations, supporters, steps [+ the wish's publication], the active
            # matching campaigns, the listing's money by kind and its payouts + frame 3
            with django_assert_num_queries(queries):
                assert client.get(url).status_code == 200
