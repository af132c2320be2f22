"""Answers under real concurrency, on PostgreSQL: threads with their own connections submit
the same link at once (the recipient double-tapping, or the recipient and station staff on a
follow-up visit). Exactly one rating is recorded.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from django.db import connection, connections
from django.utils import timezone

from feedback import services
from feedback.exceptions import AlreadyAnswered, LinkNotValid
from feedback.models import Case, ConfirmationLink, FollowUp, Rating

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 12  # other test databases share the server's connections


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def _race(calls):
    barrier = Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            return call()
        except Exception as exc:  # noqa: BLE001 - each outcome is inspected below
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_submissions_of_one_link_give_one_rating(delivered, north_staff, send):
    link = send(delivered, north_staff)

    def answer(score):
        return lambda: services.respond(token=link.raw_token, received=True, score=score)

    results = _race([answer(1 + i % 5) for i in range(WORKERS)])
    ratings = [r for r in results if isinstance(r, Rating)]
    assert len(ratings) == 1
    assert all(isinstance(r, LinkNotValid) for r in results if not isinstance(r, Rating))
    assert Rating.objects.count() == 1
    assert Case.objects.count() == (1 if ratings[0].score <= 2 else 0)


def test_recipient_and_staff_at_once_give_one_rating(delivered, north_staff, send):
    link = send(delivered, north_staff)
    ConfirmationLink.objects.filter(pk=link.pk).update(
        created_at=timezone.now() - timedelta(days=12)
    )
    services.follow_ups_open()
    follow_up = FollowUp.objects.get()
    calls = []
    for i in range(WORKERS):
        if i % 2:
            calls.append(lambda: services.respond(token=link.raw_token, received=True, score=5))
        else:
            calls.append(
                lambda: services.follow_up_record(
                    actor=north_staff, follow_up=follow_up, received=True, score=4
                )
            )
    results = _race(calls)
    assert sum(isinstance(r, Rating) for r in results) == 1
    assert all(isinstance(r, (Rating, LinkNotValid, AlreadyAnswered)) for r in results), results
    assert Rating.objects.count() == 1
