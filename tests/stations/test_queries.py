"""Exact query counts of the station pages, constant as listings, pledges, deliveries,
photos and intakes grow.

A signed-in request costs 2 queries before the view runs (session, user), the user's roles
1 more (read once per request and cached), and the site frame its own few.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from marketplace import services as marketplace
from stations import services
from stations.models import Condition
from tests.marketplace.money import pay
from tests.marketplace.test_browse import publish
from tests.stations.conftest import jpeg_bytes, upload

pytestmark = pytest.mark.django_db

WORKSPACE_QUERIES = 12  # + the shifts to staff and the follow-up visits due
NOTHING_DELIVERED_QUERIES = 11
DELIVERY_PAGE_QUERIES = 12


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


def _pledged_goods(community, make_user, n: int):
    for i in range(n):
        listing = publish(community, title=f"书包{i}", money=None, goods=2)
        pledge = marketplace.pledge_create(
            donor=make_user(), line=listing.lines.get(), quantity=Decimal("2")
        )
        marketplace.pledge_confirm(pledge=pledge)


def test_workspace_queries_do_not_grow(
    client, site, city, staff, make_user, django_assert_num_queries
):
    _pledged_goods(city.north_a, make_user, 1)
    client.force_login(staff)
    _assert_constant(
        client,
        reverse("stations:workspace"),
        WORKSPACE_QUERIES,
        lambda: _pledged_goods(city.north_a, make_user, 4),
        django_assert_num_queries,
    )


def test_delivery_page_queries_do_not_grow(
    client, site, city, staff, make_user, django_assert_num_queries
):
    """11 queries while nothing is delivered, one more (the photos) once deliveries exist;
    neither grows with more pledges, intakes, deliveries, photos or attestations."""
    listing = publish(city.north_a, money="100.00", goods=20)
    goods = listing.lines.get(kind="goods")
    money = listing.lines.get(kind="money")
    url = reverse("stations:listing_delivery", args=[listing.pk])

    def pledge_goods(quantity: str) -> None:
        pledge = marketplace.pledge_create(
            donor=make_user(), line=goods, quantity=Decimal(quantity)
        )
        services.goods_intake_record(
            actor=staff,
            pledge=pledge,
            item="书包",
            quantity=Decimal(quantity),
            condition=Condition.GOOD,
        )

    def deliver(n: int) -> None:
        for i in range(n):
            delivery = services.delivery_log(
                actor=make_user(Role.STATION_STAFF, city.north_a),
                line=goods,
                quantity=Decimal("2"),
                note=f"第{i}批",
            )
            services.delivery_attest(actor=staff, delivery=delivery, reason="老人不识字")
            for _ in range(2):
                services.delivery_photo_add(
                    actor=staff, delivery=delivery, upload=upload(jpeg_bytes())
                )

    pledge_goods("2")
    client.force_login(staff)
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    with django_assert_num_queries(NOTHING_DELIVERED_QUERIES):
        assert client.get(url).status_code == 200

    for quantity in ("3", "4"):
        pledge_goods(quantity)
    with django_assert_num_queries(NOTHING_DELIVERED_QUERIES):
        assert client.get(url).status_code == 200

    for quantity in ("5", "6"):
        pledge_goods(quantity)
    pay(marketplace.pledge_create(donor=make_user(), line=money, quantity=money.target))
    deliver(1)
    with django_assert_num_queries(DELIVERY_PAGE_QUERIES):
        assert client.get(url).status_code == 200

    deliver(4)
    with django_assert_num_queries(DELIVERY_PAGE_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["deliveries"]) == 5
    assert len(response.context["pledges"]) == 5
