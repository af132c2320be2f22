"""Payments under real concurrency, on PostgreSQL: threads with their own connections.

The same Stripe event delivered at once by many workers has one effect; receipts settled in
parallel are numbered without gap or repeat; a webhook that meets a held lock answers 503.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import stripe
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import User
from marketplace import services as marketplace
from marketplace.models import Listing, Payment, PaymentStatus, Receipt, WebhookEvent
from marketplace.payments import services as payments
from marketplace.payments import stripe as stripe_provider
from tests.marketplace.test_payments_stripe import (
    SECRET,
    WEBHOOK,
    _event,
    _stripe_payment,
    fake,  # noqa: F401 - a fixture
)
from tests.marketplace.test_payments_stripe import urlpatterns as urlpatterns  # noqa: PLC0414

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]
WORKERS = 20


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def _run_all(calls):
    def run(call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - each outcome is inspected below
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, calls))


def _signed_post(payload: str):
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    return Client().post(
        WEBHOOK, payload, content_type="application/json", headers={"Stripe-Signature": header}
    )


def _donors(n: int) -> list[User]:
    User.objects.bulk_create([User(email=f"payer{i}@race.example.org") for i in range(n)])
    return list(User.objects.filter(email__endswith="@race.example.org").order_by("pk"))


def test_one_event_delivered_by_many_workers_at_once_has_one_effect(money_line, make_user, fake):  # noqa: F811
    payment = _stripe_payment(money_line, make_user())
    payload = json.dumps(_event("checkout.session.completed", payment, fake))
    results = _run_all([lambda: _signed_post(payload) for _ in range(WORKERS)])
    assert [getattr(r, "status_code", r) for r in results] == [200] * WORKERS
    money_line.refresh_from_db()
    assert money_line.confirmed == Decimal("300.00")
    assert Receipt.objects.count() == 1 and WebhookEvent.objects.count() == 1


def test_receipts_settled_in_parallel_are_numbered_without_gaps(listing, money_line):
    donors = _donors(WORKERS)
    started = [
        payments.payment_start(
            pledge=marketplace.pledge_create(donor=d, line=money_line, quantity=Decimal("50")),
            provider_id="offline",
        )
        for d in donors
    ]
    results = _run_all([lambda p=p: payments.payment_succeeded(payment=p) for p in started])
    assert all(isinstance(r, Payment) for r in results), [
        r for r in results if not isinstance(r, Payment)
    ]
    year = timezone.localdate().year
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == [f"R{year}-{i:06d}" for i in range(1, WORKERS + 1)]
    money_line.refresh_from_db()
    assert money_line.confirmed == Decimal("50.00") * WORKERS


def test_a_webhook_that_meets_a_held_lock_answers_503(money_line, make_user, fake, monkeypatch):  # noqa: F811
    monkeypatch.setattr(stripe_provider, "LOCK_TIMEOUT", "200ms")
    payment = _stripe_payment(money_line, make_user())
    payload = json.dumps(_event("checkout.session.completed", payment, fake))
    answered = []
    with transaction.atomic():
        Listing.objects.select_for_update().get(pk=money_line.listing_id)  # staff at work
        worker = threading.Thread(
            target=lambda: (
                answered.append(_signed_post(payload).status_code),
                connections.close_all(),
            )
        )
        worker.start()
        worker.join(timeout=30)
    assert answered == [503]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not WebhookEvent.objects.exists()
    assert _signed_post(payload).status_code == 200  # Stripe's retry goes through
