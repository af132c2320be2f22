"""Fixtures every test may use: a small city with two towns, and one user per role."""

from dataclasses import dataclass

import pytest

from accounts import services
from accounts.models import Region, RegionLevel, Station, User
from accounts.roles import Role
from tests.accounts.factories import StationFactory, UserFactory, make_region


@dataclass
class City:
    city: Region
    north: Region  # a town
    south: Region  # another town
    north_a: Region  # communities
    north_b: Region
    south_a: Region
    station_north: Station
    station_south: Station


@pytest.fixture
def city(db) -> City:
    city = make_region(RegionLevel.CITY, name="东莞市", code="dg")
    north = make_region(RegionLevel.TOWN, city, name="北城街道", code="dg-n")
    south = make_region(RegionLevel.TOWN, city, name="南城街道", code="dg-s")
    north_a = make_region(RegionLevel.COMMUNITY, north, name="北一社区", code="dg-n-a")
    north_b = make_region(RegionLevel.COMMUNITY, north, name="北二社区", code="dg-n-b")
    south_a = make_region(RegionLevel.COMMUNITY, south, name="南一社区", code="dg-s-a")
    return City(
        city=city,
        north=north,
        south=south,
        north_a=north_a,
        north_b=north_b,
        south_a=south_a,
        station_north=StationFactory(community=north_a, name="北一驿站"),
        station_south=StationFactory(community=south_a, name="南一驿站"),
    )


@pytest.fixture
def superuser(db) -> User:
    return UserFactory(email="root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def make_user(db, superuser):
    """``make_user(role, region)``: a verified user holding *role* over *region* (or none)."""

    def make(role: Role | None = None, region: Region | None = None, **fields) -> User:
        user = UserFactory(**fields)
        if role is not None:
            services.role_assign(
                actor=superuser, user=user, role=role, region=region, reason="test"
            )
        return user

    return make


@pytest.fixture
def english():
    """Run the test in English: ``reverse()`` gives /en/ URLs and messages read in English."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_language():
    """A request to /en/ leaves English active in this thread; start every test afresh."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _one_rate_limit_window(monkeypatch):
    """Every test counts its requests in one fixed rate-limit window, from zero: a test
    that makes thirty requests must not straddle a minute (one did, and its thirty-first
    request was let through), nor inherit an earlier test's counts."""
    from django.core.cache import cache

    from marketplace import ratelimit

    monkeypatch.setattr(ratelimit, "current_window", lambda: 0)
    cache.clear()
