"""Sign-up under real concurrency, on PostgreSQL: threads with their own connections race
for a shift's places. The capacity is never exceeded, nobody gets a server error, and the
cached ``taken`` always equals the rows."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from accounts.models import User
from tests.volunteers.conftest import make_shift
from volunteers import services
from volunteers.exceptions import ShiftFull
from volunteers.models import Shift, ShiftSignup, SignupStatus

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 20  # other test databases share the server's 100 connections


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def _volunteers(city, n: int) -> list[User]:
    people = []
    for i in range(n):
        user = User.objects.create_user(email=f"racer{i}@race.example.org", display_name=f"{i}")
        services.profile_save(user=user, display_name=f"志愿者{i}", skills=[], areas=[city.north])
        people.append(user)
    return people


def _run_all(calls):
    start = threading.Barrier(min(len(calls), WORKERS))

    def run(call):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=5)  # the last few calls go without the others
            return call()
        except Exception as exc:  # noqa: BLE001 - each outcome is inspected below
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, calls))


def test_30_volunteers_race_for_5_places(city, north_staff):
    shift = make_shift(city.station_north, north_staff, capacity=5)
    people = _volunteers(city, 30)

    results = _run_all(
        [lambda p=p: services.shift_signup(volunteer=p, shift=shift) for p in people]
    )

    signed = [r for r in results if isinstance(r, ShiftSignup)]
    full = [r for r in results if isinstance(r, ShiftFull)]
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, ShiftFull)]
    assert (len(signed), len(full), errors) == (5, 25, [])
    shift.refresh_from_db()
    assert shift.taken == 5 == ShiftSignup.objects.filter(shift=shift).holding().count()
    assert len({s.volunteer_id for s in signed}) == 5


def test_one_person_signing_up_many_times_at_once_holds_one_place(city, north_staff):
    shift = make_shift(city.station_north, north_staff, capacity=5)
    (person,) = _volunteers(city, 1)

    results = _run_all(
        [lambda: services.shift_signup(volunteer=person, shift=shift) for _ in range(12)]
    )

    assert all(isinstance(r, ShiftSignup) for r in results), results
    assert len({r.pk for r in results}) == 1
    shift.refresh_from_db()
    assert shift.taken == 1 == ShiftSignup.objects.filter(shift=shift).count()


def test_cancellations_and_sign_ups_interleaved_keep_the_count(city, north_staff):
    shift = make_shift(city.station_north, north_staff, capacity=5)
    people = _volunteers(city, 20)
    first = [services.shift_signup(volunteer=p, shift=shift) for p in people[:5]]

    calls = [lambda s=s: services.signup_cancel(volunteer=s.volunteer, signup=s) for s in first] + [
        lambda p=p: services.shift_signup(volunteer=p, shift=shift) for p in people[5:]
    ]
    results = _run_all(calls)

    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, ShiftFull)]
    assert errors == []
    shift = Shift.objects.get(pk=shift.pk)
    holding = ShiftSignup.objects.filter(shift=shift).holding().count()
    signed = [r for r in results[5:] if isinstance(r, ShiftSignup)]
    assert shift.taken == holding == len(signed) <= 5  # all five first sign-ups were cancelled
    cancelled = ShiftSignup.objects.filter(shift=shift, status=SignupStatus.CANCELLED).count()
    assert cancelled == 5
