"""Councils for the projects tests: the north community's council with five members (one
of them its secretary) and the south community's council with two.

``project_councils(city, make_user)`` is plain (no fixture) so the URL matrix can call it;
``tests/projects/conftest.py`` wraps it as the ``councils`` fixture.
"""

from dataclasses import dataclass

from accounts.models import User
from accounts.roles import Role
from projects.models import Council, MajorityRule


@dataclass
class Councils:
    north: Council
    south: Council
    members: list[User]  # the north council's members; members[0] is its secretary
    south_members: list[User]
    resident: User  # a signed-in resident of the north community, no role
    station: User  # station staff of the north community
    south_station: User
    reviewer: User  # town reviewer of the north town
    south_reviewer: User

    @property
    def secretary(self) -> User:
        return self.members[0]


def project_councils(city, make_user, *, prefix: str = "") -> Councils:
    members = [
        make_user(Role.COUNCIL_MEMBER, city.north_a, email=f"{prefix}member{i}@example.org")
        for i in range(5)
    ]
    south_members = [
        make_user(Role.COUNCIL_MEMBER, city.south_a, email=f"{prefix}south{i}@example.org")
        for i in range(2)
    ]
    north = Council.objects.create(
        community=city.north_a,
        name="北一社区居民议事会",
        quorum_percent=50,
        majority=MajorityRule.SIMPLE,
        support_threshold=3,
        secretary=members[0],
    )
    south = Council.objects.create(
        community=city.south_a,
        name="南一社区居民议事会",
        support_threshold=3,
        secretary=south_members[0],
    )
    return Councils(
        north=north,
        south=south,
        members=members,
        south_members=south_members,
        resident=make_user(email=f"{prefix}resident@example.org"),
        station=make_user(Role.STATION_STAFF, city.north_a, email=f"{prefix}pstaff@example.org"),
        south_station=make_user(
            Role.STATION_STAFF, city.south_a, email=f"{prefix}pstaff.s@example.org"
        ),
        reviewer=make_user(Role.TOWN_REVIEWER, city.north, email=f"{prefix}previewer@example.org"),
        south_reviewer=make_user(
            Role.TOWN_REVIEWER, city.south, email=f"{prefix}previewer.s@example.org"
        ),
    )
