"""Privacy of the public marketplace pages: no household's personal data, no donor's email
or hidden name, no staff identity, in either language, signed in or not.

Wishes are published with the factories' distinctive personal data (``SECRET_*``), then
pledged to and claimed by donors whose emails and hidden names are just as distinctive.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership
from accounts.roles import Role
from marketplace import services
from marketplace.models import Listing
from tests.accounts.factories import OrganisationFactory, UserFactory
from tests.marketplace.money import pay
from tests.wishes.factories import make_wish
from tests.wishes.test_privacy import assert_no_secrets
from wishes.models import Status
from wishes.services import NeedLine

LANGUAGES = ("zh-hans", "en")
HIDDEN_NAME = "匿名者真名ANON-PRIVATE"
DONOR_DOMAIN = "donor-private.example.org"
STAFF_DOMAIN = "staff-private.example.org"
ORG_PHONE = "+8613800138000"


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


@pytest.fixture
def world(city, make_user, site):
    staff = make_user(Role.STATION_STAFF, city.north_a, email=f"staff@{STAFF_DOMAIN}")
    reviewer = make_user(Role.TOWN_REVIEWER, city.north, email=f"reviewer@{STAFF_DOMAIN}")
    wishes = [
        make_wish(
            staff,
            city.north_a,
            status=Status.PUBLISHED,
            reviewer=reviewer,
            title=f"为独居老人添置轮椅 {n}",
            needs=[
                NeedLine(kind="money", amount=Decimal("1200.00")),
                NeedLine(kind="goods", item="轮椅", quantity=1, specification="折叠式"),
                NeedLine(kind="service", skill="陪诊", hours=Decimal("4")),
            ],
        )
        for n in range(3)
    ]
    listings = [Listing.objects.of(wish).get() for wish in wishes]
    named = UserFactory(email=f"named@{DONOR_DOMAIN}", display_name="热心邻居")
    hidden = UserFactory(email=f"hidden@{DONOR_DOMAIN}", display_name=HIDDEN_NAME)
    blank = UserFactory(email=f"blank@{DONOR_DOMAIN}", display_name="")
    member = UserFactory(email=f"member@{DONOR_DOMAIN}", display_name="员工")
    company = OrganisationFactory(name="爱心公司", region=city.north, phone=ORG_PHONE)
    Membership.objects.create(organisation=company, user=member)
    money = listings[0].lines.get(kind="money")
    for donor, options in [
        (named, {}),
        (hidden, {"anonymous": True}),
        (blank, {}),
        (member, {"organisation": company}),
    ]:
        pledge = services.pledge_create(donor=donor, line=money, quantity=Decimal("100"), **options)
        pay(pledge)
    services.pledge_create(
        donor=hidden, line=listings[0].lines.get(kind="goods"), quantity=1, anonymous=True
    )
    services.claim_create(donor=hidden, listing=listings[1], anonymous=True)
    return {"wishes": wishes, "listings": listings}


def _urls(world) -> list[str]:
    urls = []
    for language in LANGUAGES:
        with translation.override(language):
            urls.append(reverse("marketplace:list"))
            urls.append(reverse("marketplace:list") + "?q=轮椅&needs=goods&sort=goal")
            urls += [
                reverse("marketplace:detail", args=[listing.reference])
                for listing in world["listings"]
            ]
    return urls


def _assert_private(text: str, url: str) -> None:
    assert_no_secrets(text, url, internal=False)
    for secret in (HIDDEN_NAME, DONOR_DOMAIN, STAFF_DOMAIN, ORG_PHONE, "13800138000"):
        assert secret not in text, f"{url} leaks {secret}"


@pytest.mark.django_db
def test_no_personal_data_on_the_marketplace_pages(client, world):
    for url in _urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_private(response.text, url)
        partial = client.get(url, headers={"HX-Request": "true"})
        _assert_private(partial.text, url)
    # The pages really show the listings and supporters (else the test proves nothing).
    page = client.get(reverse("marketplace:detail", args=[world["listings"][0].reference])).text
    assert world["listings"][0].title in page and "热心邻居" in page and "爱心公司" in page


@pytest.mark.django_db
def test_no_personal_data_for_a_signed_in_visitor(client, world):
    client.force_login(UserFactory(email="visitor@example.org"))
    for url in _urls(world):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_private(response.text, url)


@pytest.mark.django_db
def test_the_seeded_secrets_are_really_there(world):
    """Guard the guard: the household data and the hidden donor exist."""
    from tests.wishes.factories import SECRET_ID

    household = world["wishes"][0].household
    household.refresh_from_db()
    assert household.id_number == SECRET_ID
    assert (
        world["listings"][0]
        .lines.get(kind="money")
        .pledges.filter(donor__display_name=HIDDEN_NAME, anonymous=True)
    )
