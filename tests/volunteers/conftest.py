"""Fixtures of the volunteers tests: station staff on both sides, a volunteer, shifts."""

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from accounts import sms
from accounts.roles import Role
from tests.marketplace.conftest import city_admin, city_fund, listing  # noqa: F401 - fixtures
from volunteers import services
from volunteers.models import Shift, Skill


@pytest.fixture(autouse=True)
def _empty_outboxes(mailoutbox):
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def north_staff(city, make_user):
    return make_user(Role.STATION_STAFF, city.north_a, email="north.staff@example.org")


@pytest.fixture
def south_staff(city, make_user):
    return make_user(Role.STATION_STAFF, city.south_a, email="south.staff@example.org")


def in_days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def make_shift(station, actor, **fields) -> Shift:
    """A shift at *station* in two days, 9:00–12:00, 3 places, open to anyone."""
    spec = {
        "title": "陪老人散步",
        "date": in_days(2),
        "starts": time(9, 0),
        "ends": time(12, 0),
        "place": "驿站门口",
        "skill": Skill.OTHER,
        "capacity": 3,
    }
    spec.update(fields)
    return services.shift_create(actor=actor, station=station, spec=services.ShiftSpec(**spec))


def make_volunteer(make_user, areas, *, skills=(), name="志愿者", **fields):
    user = make_user(**fields)
    services.profile_save(user=user, display_name=name, skills=list(skills), areas=areas)
    return user


@pytest.fixture
def volunteer(city, make_user):
    return make_volunteer(
        make_user, [city.north], skills=[Skill.ESCORT], name="王小明", email="wang@example.org"
    )


@pytest.fixture
def shift(city, north_staff):
    return make_shift(city.station_north, north_staff)
