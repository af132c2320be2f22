"""Exact query counts of the donor's pages, pinned and checked again after the data grows,
so an N+1 shows up as a failing number.

A signed-in request costs 2 queries before the view runs (session, user) and the site
frame 3 (Wagtail site, menu pages, footer settings).
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Membership
from marketplace import services
from tests.accounts.factories import OrganisationFactory
from tests.marketplace import giving_fixtures
from tests.marketplace.test_browse import publish

pytestmark = pytest.mark.django_db

site = giving_fixtures.site
fake_providers = giving_fixtures.fake_providers


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


@pytest.fixture
def donor(make_user, city):
    donor = make_user()
    Membership.objects.create(organisation=OrganisationFactory(region=city.north_a), user=donor)
    return donor


def _give(donor, community, n):
    """*n* listings, each claimed or pledged by *donor* in every way the page shows."""
    for i in range(n):
        listing = publish(community, money="1000.00", goods=2, hours="3")
        lines = {line.kind: line for line in listing.lines.all()}
        if i % 2:
            services.claim_create(donor=donor, listing=listing, anonymous=True)
        services.pledge_create(donor=donor, line=lines["money"], quantity=Decimal("100"))
        confirmed = services.pledge_create(donor=donor, line=lines["goods"], quantity=Decimal("1"))
        services.pledge_confirm(pledge=confirmed)


def test_giving_query_count(client, site, city, donor, settings, django_assert_num_queries):
    settings.MAX_OPEN_PLEDGES_PER_DONOR = 100
    _give(donor, city.north_a, 2)
    client.force_login(donor)
    # session, user, claims, count, pledges, payments + frame 3
    _assert_constant(
        client,
        reverse("marketplace:giving"),
        9,
        lambda: _give(donor, city.north_a, 4),
        django_assert_num_queries,
    )


def test_pledge_form_query_count(client, site, city, donor, make_user, django_assert_num_queries):
    listing = publish(city.north_a, money="1000.00", goods=20, hours="10")
    lines = list(listing.lines.all())

    def grow():
        for line in lines:
            for _ in range(3):
                services.pledge_create(
                    donor=make_user(),
                    line=line,
                    quantity=Decimal("1") if line.kind != "money" else Decimal("10"),
                )

    grow()
    client.force_login(donor)
    # session, user, listing, lines with reservations, organisations, claim + frame 3
    _assert_constant(
        client,
        reverse("marketplace:pledge", args=[listing.reference]),
        9,
        grow,
        django_assert_num_queries,
    )
