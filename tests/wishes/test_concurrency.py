"""Races on a wish, with real threads on PostgreSQL (SQLite serialises writers anyway).

Each thread opens its own connection and calls the service as a request would. The row
lock on the wish makes exactly one of the racing decisions win, and the loser is refused
cleanly rather than overwriting it.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from accounts.errors import InvalidTransition, LinliError
from tests.wishes.factories import make_household
from wishes import services
from wishes.exceptions import NotOnNotice
from wishes.models import Objection, Status, Wish

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    """Run *calls* at the same moment in threads; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def test_two_stations_accepting_the_same_wish_one_wins(city, make_user, people):
    from accounts.roles import Role
    from tests.wishes.factories import DEFAULT_NEEDS

    second_staff = make_user(Role.STATION_STAFF, city.north_a)
    household = make_household(city.north_a, people.resident)
    wish = services.wish_submit(
        user=people.resident,
        household=household,
        title="轮椅",
        story="需要一台轮椅方便出门。",
        category="elder_care",
        urgency="urgent",
        needs=DEFAULT_NEEDS,
    )
    for _ in range(3):  # a few rounds: the race must be won by exactly one every time
        Wish.objects.filter(pk=wish.pk).update(status=Status.SUBMITTED, first_responsible=None)
        results = _race(
            lambda: services.wish_accept(actor=people.north_staff, wish=wish),
            lambda: services.wish_accept(actor=second_staff, wish=wish),
        )
        winners = [r for r in results if isinstance(r, Wish)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], InvalidTransition)
        wish.refresh_from_db()
        assert wish.first_responsible_id == winners[0].first_responsible_id


def test_objection_racing_publication_never_slips_through(city, people, make_user):
    objectors = [make_user() for _ in range(4)]
    for _ in range(3):
        wish = _notice_wish(city, people)
        due = wish.notice_ends_at + timedelta(seconds=1)
        results = _race(
            lambda wish=wish, due=due: services.wish_publish(wish=wish, now=due),
            *[
                lambda wish=wish, user=user: services.objection_file(
                    user=user, wish=wish, text="有异议"
                )
                for user in objectors
            ],
        )
        wish.refresh_from_db()
        filed = Objection.objects.filter(wish=wish).count()
        published = results[0] is True
        # Either it was published first and every objection was refused as too late, or at
        # least one objection got in first and the wish stayed on notice. Never both.
        if published:
            assert wish.status == Status.PUBLISHED and filed == 0
            assert all(isinstance(r, NotOnNotice) for r in results[1:]), results
        else:
            assert wish.status == Status.NOTICE and filed == len(objectors)
            assert not any(isinstance(r, LinliError) for r in results[1:]), results


def _notice_wish(city, people):
    from tests.wishes.factories import make_wish

    return make_wish(
        people.north_staff,
        city.north_a,
        status=Status.NOTICE,
        reviewer=people.north_reviewer,
        duplicate_reason="测试",
    )
