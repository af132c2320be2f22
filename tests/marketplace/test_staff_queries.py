"""Exact query counts of the staff listing pages, constant as the data grows.

A signed-in request costs 2 queries before the view runs (session, user), the user's roles
1 more (read once per request and cached on the user), and the site frame 3.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from marketplace import services
from marketplace.payments import base
from tests.marketplace import giving_fixtures
from tests.marketplace.test_browse import publish

pytestmark = pytest.mark.django_db

site = giving_fixtures.site


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


def _activity(listing, make_user):
    """A claim-free listing with pledges of every kind and an offline payment waiting."""
    offline = pytest.importorskip("marketplace.payments.offline")
    payments_services = pytest.importorskip("marketplace.payments.services")
    lines = {line.kind: line for line in listing.lines.all()}
    money = services.pledge_create(donor=make_user(), line=lines["money"], quantity=Decimal("50"))
    payment = payments_services.payment_start(pledge=money, provider_id=offline.IDENTIFIER)
    base.get(offline.IDENTIFIER).start(payment, request=None)
    goods = services.pledge_create(donor=make_user(), line=lines["goods"], quantity=Decimal("1"))
    services.pledge_confirm(pledge=goods)
    services.pledge_create(donor=make_user(), line=lines["service"], quantity=Decimal("1"))


def test_staff_list_query_count(client, site, city, make_user, django_assert_num_queries):
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)

    def grow():
        for _ in range(4):
            _activity(publish(city.north_a, goods=10, hours="10"), make_user)

    _activity(publish(city.north_a, goods=10, hours="10"), make_user)
    client.force_login(reviewer)
    # session, user, roles, count, page + frame 3
    _assert_constant(
        client,
        reverse("marketplace:staff_list") + "?status=open",
        8,
        grow,
        django_assert_num_queries,
    )


def test_staff_detail_query_count(client, site, city, make_user, django_assert_num_queries):
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    listing = publish(city.north_a, money="100000.00", goods=100, hours="100")

    def grow():
        for _ in range(4):
            _activity(listing, make_user)

    for _ in range(2):  # claim history (a held claim would keep others' pledges out)
        claimant = make_user()
        claim = services.claim_create(donor=claimant, listing=listing)
        services.claim_release(actor=claimant, claim=claim)
    _activity(listing, make_user)
    client.force_login(reviewer)
    # session, user, roles, listing, claims, pledges, payments, lines, escrow with its
    # flows, payouts + frame 3
    _assert_constant(
        client,
        reverse("marketplace:staff_detail", args=[listing.pk]),
        13,
        grow,
        django_assert_num_queries,
    )
