from decimal import Decimal

import pytest

from accounts.roles import Role
from marketplace.models import Listing
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
    return Listing.objects.get(source_id=wish.pk)


@pytest.fixture
def money_line(listing):
    return listing.lines.get(kind="money")
