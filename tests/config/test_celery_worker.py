"""A real Celery worker, fed through Redis, runs the project's periodic task.

Runs when ``REDIS_URL`` is set (CI sets it; locally: ``REDIS_URL=redis://127.0.0.1:6379/0``).
The worker is a thread of this process with its own database connection, so the test data
must be committed: the test uses a transactional database.
"""

import os
import threading
import uuid

import kombu.pools
import pytest
from celery.signals import task_postrun
from django.core import mail

from accounts import services
from accounts.models import AuditEvent, Invitation, InvitationStatus, OrganisationKind

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not REDIS_URL, reason="REDIS_URL is not set: the real-worker test needs a Redis broker"
    ),
    pytest.mark.django_db(transaction=True),
]


def _forget_connections(app) -> None:
    """Drop the app's cached broker pool, routing tables and result backend."""
    kombu.pools.reset()  # kombu keeps connection pools per broker URL, process-wide
    app._pool = None
    app.__dict__.pop("amqp", None)
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@pytest.fixture
def celery_app():
    """``config.celery.app`` pointed at Redis, not eager, on a queue of its own."""
    from config.celery import app

    overrides = {
        "broker_url": REDIS_URL,
        "result_backend": REDIS_URL,
        "task_always_eager": False,
        # A private queue: a developer's own worker on the same Redis must not steal tasks.
        "task_default_queue": f"linli-test-{uuid.uuid4().hex}",
        "broker_connection_retry_on_startup": False,
        "worker_hijack_root_logger": False,  # leave pytest's log capture alone
    }
    saved = {key: app.conf[key] for key in overrides}
    _forget_connections(app)
    app.conf.update(overrides)
    try:
        yield app
    finally:
        _forget_connections(app)
        app.conf.update(saved)


@pytest.fixture
def worker(celery_app):
    """A worker thread consuming the private queue; ``worker.ran`` lists (task, thread)."""
    from celery.contrib.testing import tasks  # noqa: F401  registers celery.ping
    from celery.contrib.testing.worker import start_worker

    ran: list[tuple[str, int]] = []

    def record(sender=None, **kwargs):
        ran.append((sender.name, threading.get_ident()))

    task_postrun.connect(record, weak=False)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=True, shutdown_timeout=30
        ) as w:
            w.ran = ran
            yield w
    finally:
        task_postrun.disconnect(record)


def test_worker_expires_invitations_past_their_date(city, make_user, settings, worker):
    from accounts.tasks import invitations_expire

    admin = make_user()
    organisation = services.organisation_create(
        actor=admin, name="测试爱心企业", kind=OrganisationKind.COMPANY, region=city.north
    )
    still_open = services.organisation_invite(
        actor=admin, organisation=organisation, email="later@example.org"
    )
    settings.INVITATION_VALID_DAYS = -1  # the next invitation is born already past its date
    overdue = services.organisation_invite(
        actor=admin, organisation=organisation, email="late@example.org"
    )
    assert overdue.status == InvitationStatus.PENDING

    result = invitations_expire.delay()
    assert result.get(timeout=30) == 1
    assert result.status == "SUCCESS"
    # It ran in the worker, not eagerly in this thread.
    assert ("accounts.tasks.invitations_expire", threading.get_ident()) not in worker.ran
    assert "accounts.tasks.invitations_expire" in [name for name, _ in worker.ran]

    overdue.refresh_from_db()
    still_open.refresh_from_db()
    assert overdue.status == InvitationStatus.EXPIRED
    assert still_open.status == InvitationStatus.PENDING
    event = AuditEvent.objects.for_object(overdue).get(verb="invitation.expired")
    assert event.actor is None
    assert event.actor_label == "system"
    assert event.region == city.north

    # Running it again finds nothing left to do.
    assert invitations_expire.delay().get(timeout=30) == 0
    assert Invitation.objects.filter(status=InvitationStatus.EXPIRED).count() == 1


def test_worker_sends_the_invitation_mail_after_commit(city, make_user, worker):
    from accounts.tasks import invitation_send

    admin = make_user()
    organisation = services.organisation_create(
        actor=admin,
        name="测试社会组织",
        kind=OrganisationKind.SOCIAL_ORGANISATION,
        region=city.south,
    )
    mail.outbox.clear()
    invitation = services.organisation_invite(
        actor=admin, organisation=organisation, email="friend@example.org"
    )
    # organisation_invite queued the mail on commit; run it once more and wait for both.
    assert invitation_send.delay(invitation.pk).get(timeout=30) is True
    sent = [m for m in mail.outbox if m.to == ["friend@example.org"]]
    assert sent
    assert invitation.token in sent[-1].body
