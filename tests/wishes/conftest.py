from dataclasses import dataclass

import pytest

from accounts.models import User
from accounts.roles import Role


@dataclass
class People:
    north_staff: User  # station staff at north_a (where city.station_north is)
    south_staff: User
    north_reviewer: User  # town reviewer of the north town
    south_reviewer: User
    resident: User


@pytest.fixture
def people(city, make_user) -> People:
    return People(
        north_staff=make_user(Role.STATION_STAFF, city.north_a, email="north.staff@example.org"),
        south_staff=make_user(Role.STATION_STAFF, city.south_a, email="south.staff@example.org"),
        north_reviewer=make_user(
            Role.TOWN_REVIEWER, city.north, email="north.reviewer@example.org"
        ),
        south_reviewer=make_user(
            Role.TOWN_REVIEWER, city.south, email="south.reviewer@example.org"
        ),
        resident=make_user(email="resident@example.org"),
    )
