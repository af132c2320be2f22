from decimal import Decimal

import pytest

from accounts.roles import Role
from marketplace import funds
from marketplace.models import Fund, FundOwner, Listing, TopUpKind
from tests.wishes.factories import make_wish
from wishes.models import Status
from wishes.services import NeedLine


@pytest.fixture
def listing(city, make_user) -> Listing:
    """A published direct wish's listing: ¥1,200, a wheelchair, and 4 hours of escort."""
    staff = make_user(Role.STATION_STAFF, city.north_a)
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    wish = make_wish(
        staff,
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=reviewer,
        needs=[
            NeedLine(kind="money", amount=Decimal("1200.00")),
            NeedLine(kind="goods", item="轮椅", quantity=1, specification="折叠式"),
            NeedLine(kind="service", skill="陪诊", hours=Decimal("4")),
        ],
    )
    return Listing.objects.of(wish).get()


@pytest.fixture
def money_line(listing):
    return listing.lines.get(kind="money")


@pytest.fixture
def city_admin(city, make_user):
    return make_user(Role.CITY_ADMIN, city.city)


@pytest.fixture
def city_fund(city, city_admin) -> Fund:
    """The city's special fund, holding ¥100,000."""
    fund = funds.fund_create(
        actor=city_admin, name="东莞市专项资金", owner=FundOwner.CITY, region=city.city
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=fund,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("100000"),
        reference="东财〔2026〕1号",
    )
    return fund
