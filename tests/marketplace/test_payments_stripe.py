"""Stripe: Checkout Sessions out, signed webhooks in, reconciliation; never the real network.

Outbound calls are faked at the one seam (``stripe_client``) with a ``stripe.HTTPClient``
that records each request and answers canned JSON, so the stripe library's own request code
(headers, idempotency keys, form encoding) runs. Webhook payloads are Stripe's documented
event shapes (``stripe_fixtures/``), signed with the test secret.
"""

import copy
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connection
from django.urls import include, path, reverse
from django.utils import timezone

import config.urls
from accounts.models import AuditEvent
from accounts.roles import Role
from marketplace import ledger
from marketplace import services as marketplace
from marketplace.models import (
    Payment,
    PaymentStatus,
    Pledge,
    PledgeStatus,
    Receipt,
    ReceiptCounter,
    WebhookEvent,
)
from marketplace.payments import base, tasks
from marketplace.payments import services as payments
from marketplace.payments import stripe as stripe_provider
from marketplace.payments import views as payment_views
from marketplace.payments.exceptions import NotPayable

# The webhook lives outside the language prefix at a fixed path; until config/urls.py
# includes it, this module's URLconf adds it after the project's own (tests post to the path).
urlpatterns = [*config.urls.urlpatterns, path("", include(payment_views.urlpatterns))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

WEBHOOK = "/payments/stripe/webhook/"
SECRET = "whsec_test"
FIXTURES = Path(__file__).parent / "stripe_fixtures"
# Event row (2 savepoints, insert, release); find the payment; the service's savepoint; lock
# listing, line, pledge, payment (5 with the ids); settle and audit (2); confirm: counter,
# pledge, audit, lines (4); receipt: next number, savepoint, insert, release, audit (5);
# release the two outer savepoints.
# 23 + the ledger (3 accounts, transaction, lines, escrow balance) + matches; the receipt
# number is the year's counter (locked, raised) and the receipt itself.
WEBHOOK_QUERIES = 30


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, list[str]]


class FakeStripeHTTP(stripe.HTTPClient):
    """Stripe's API in memory: sessions and refunds, with idempotent replays as Stripe does."""

    name = "fake"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.replays: dict[str, str] = {}

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        body = parse_qs(post_data or "")
        headers = dict(headers or {})
        request = Request(method, urlsplit(url).path, headers, body)
        self.requests.append(request)
        key = headers.get("Idempotency-Key")
        if key in self.replays:
            return self.replays[key], 200, {"Idempotent-Replayed": "true"}
        answer = json.dumps(self._answer(request))
        if key:
            self.replays[key] = answer
        return answer, 200, {}

    def _answer(self, request: Request) -> dict[str, Any]:
        if request.method == "post" and request.path == "/v1/checkout/sessions":
            number = len(self.sessions) + 1
            session = _fixture("checkout_session")
            session.update(
                id=f"cs_test_{number:04d}",
                url=f"https://checkout.stripe.com/c/pay/cs_test_{number:04d}",
                client_reference_id=request.body["client_reference_id"][0],
                amount_total=int(request.body["line_items[0][price_data][unit_amount]"][0]),
                expires_at=int(request.body["expires_at"][0]),
                metadata={"payment": request.body["metadata[payment]"][0]},
            )
            self.sessions[session["id"]] = session
            return session
        if request.method == "get" and request.path.startswith("/v1/checkout/sessions/"):
            return self.sessions[request.path.rsplit("/", 1)[1]]
        if request.method == "post" and request.path == "/v1/refunds":
            refund = _fixture("refund")
            refund.update(
                id=f"re_test_{len(self.requests):04d}",
                amount=int(request.body["amount"][0]),
                payment_intent=request.body["payment_intent"][0],
            )
            return refund
        raise AssertionError(f"unexpected Stripe call {request.method} {request.path}")

    def close(self) -> None:
        pass

    def posts(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == "post" and r.path == path]


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def fake(settings, monkeypatch) -> FakeStripeHTTP:
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    http = FakeStripeHTTP()
    real = stripe_provider.stripe_client
    monkeypatch.setattr(stripe_provider, "stripe_client", lambda: real(http_client=http))
    return http


def _stripe_payment(line, donor, amount="300") -> Payment:
    pledge = marketplace.pledge_create(donor=donor, line=line, quantity=Decimal(amount))
    payment = payments.payment_start(pledge=pledge, provider_id="stripe")
    base.get("stripe").start(payment)
    payment.refresh_from_db()
    return payment


def _event(kind: str, payment: Payment, fake: FakeStripeHTTP, event_id: str = "") -> dict:
    """A documented event for *payment*'s session, its state mirrored in the fake API."""
    event = _fixture(kind)
    session = copy.deepcopy(fake.sessions[payment.external_id])
    data = event["data"]["object"]
    for field in ("status", "payment_status", "payment_intent", "url", "customer_details"):
        session[field] = data[field]
    event["data"]["object"] = session
    fake.sessions[session["id"]] = copy.deepcopy(session)
    if event_id:
        event["id"] = event_id
    return event


def _post(client, event: dict | str, *, secret: str = SECRET, timestamp: int | None = None):
    payload = event if isinstance(event, str) else json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return client.post(
        WEBHOOK, data=payload, content_type="application/json", headers={"Stripe-Signature": header}
    )


def _lapse(pledge_id: int) -> None:
    Pledge.objects.filter(pk=pledge_id).update(expires_at=timezone.now() - timedelta(seconds=1))


# --- Outbound ---------------------------------------------------------------------------


def test_checkout_session_is_created_in_fen_with_an_idempotency_key(
    money_line, make_user, fake, settings
):
    payment = _stripe_payment(money_line, make_user(), amount="300.50")
    pledge = payment.pledge
    (call,) = fake.posts("/v1/checkout/sessions")
    assert call.headers["Idempotency-Key"] == f"linli-payment-{payment.pk}-session"
    assert call.headers["Authorization"] == "Bearer sk_test_x"
    body = {k: v[0] for k, v in call.body.items()}
    assert body["line_items[0][price_data][unit_amount]"] == "30050"
    assert body["line_items[0][price_data][currency]"] == "cny" and body["mode"] == "payment"
    assert body["payment_method_types[0]"] == "card" and "payment_method_types[1]" not in body
    assert body["client_reference_id"] == str(payment.pk)
    assert body["metadata[payment]"] == str(payment.pk) and body["metadata[pledge]"] == str(
        pledge.pk
    )
    assert int(body["expires_at"]) == int(pledge.expires_at.timestamp())  # aligned (60 min)
    pledge_page = reverse("marketplace:pledge_detail", kwargs={"pk": pledge.pk})
    assert body["success_url"] == f"{settings.SITE_URL}{pledge_page}?payment=success"
    assert body["cancel_url"] == f"{settings.SITE_URL}{pledge_page}?payment=cancelled"
    assert payment.status == PaymentStatus.PENDING
    assert payment.external_id == "cs_test_0001"


def test_starting_again_finds_the_same_session(money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    result = base.get("stripe").start(payment)
    assert result.redirect_url == "https://checkout.stripe.com/c/pay/cs_test_0001"
    assert len(fake.posts("/v1/checkout/sessions")) == 1


def test_alipay_and_wechat_pay_are_configurable(money_line, make_user, fake, settings):
    settings.STRIPE_PAYMENT_METHODS = ["card", "alipay", "wechat_pay"]
    _stripe_payment(money_line, make_user())
    body = {k: v[0] for k, v in fake.posts("/v1/checkout/sessions")[0].body.items()}
    assert [body[f"payment_method_types[{i}]"] for i in range(3)] == [
        "card",
        "alipay",
        "wechat_pay",
    ]
    assert body["payment_method_options[wechat_pay][client]"] == "web"


def test_checkout_expiry_is_clamped_to_what_stripe_accepts(money_line, make_user, fake, settings):
    settings.PLEDGE_RESERVATION_MINUTES = 10  # Stripe wants at least 30 minutes
    payment = _stripe_payment(money_line, make_user())
    body = fake.posts("/v1/checkout/sessions")[0].body
    ahead = int(body["expires_at"][0]) - payment.created_at.timestamp()
    assert 30 * 60 < ahead <= 35 * 60


# --- Webhook: the happy path, repeats and order -----------------------------------------


def test_a_completed_session_confirms_the_pledge_and_issues_a_receipt(
    client, money_line, make_user, fake
):
    payment = _stripe_payment(money_line, make_user())
    response = _post(client, _event("checkout.session.completed", payment, fake))
    assert response.status_code == 200
    payment.refresh_from_db()
    money_line.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.settled_at
    assert Pledge.objects.get(pk=payment.pledge_id).status == PledgeStatus.CONFIRMED
    assert money_line.confirmed == Decimal("300.00")
    assert payment.receipt.number == f"R{timezone.localdate().year}-000001"
    assert WebhookEvent.objects.filter(
        provider="stripe", event_id="evt_1Qcompleted0001", event_type="checkout.session.completed"
    ).exists()


def test_the_same_event_delivered_twice_has_one_effect(client, money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    event = _event("checkout.session.completed", payment, fake)
    assert _post(client, event).status_code == 200
    assert _post(client, event).status_code == 200
    money_line.refresh_from_db()
    assert money_line.confirmed == Decimal("300.00")
    assert Receipt.objects.count() == 1 and WebhookEvent.objects.count() == 1
    assert AuditEvent.objects.filter(verb="payment.succeed").count() == 1


def test_expired_after_completed_stays_succeeded(client, money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    completed = _event("checkout.session.completed", payment, fake)
    expired = _event("checkout.session.expired", payment, fake)  # the API now says expired
    assert _post(client, completed).status_code == 200
    assert _post(client, expired).status_code == 200
    payment.refresh_from_db()
    money_line.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert money_line.confirmed == Decimal("300.00")
    # The expiry was re-read from Stripe before acting.
    assert [r.path for r in fake.requests if r.method == "get"] == [
        f"/v1/checkout/sessions/{payment.external_id}"
    ]


def test_an_expiry_that_stripe_no_longer_confirms_settles_instead(
    client, money_line, make_user, fake
):
    payment = _stripe_payment(money_line, make_user())
    expired = _event("checkout.session.expired", payment, fake)
    _event("checkout.session.completed", payment, fake)  # paid meanwhile; its event is late
    assert _post(client, expired).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_completed_after_expired_succeeds_when_there_is_room(client, money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    assert _post(client, _event("checkout.session.expired", payment, fake)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    _lapse(payment.pledge_id)
    assert _post(client, _event("checkout.session.completed", payment, fake)).status_code == 200
    payment.refresh_from_db()
    money_line.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Pledge.objects.get(pk=payment.pledge_id).status == PledgeStatus.CONFIRMED
    assert money_line.confirmed == Decimal("300.00") and not fake.posts("/v1/refunds")


def test_a_late_success_without_room_is_refunded_automatically(
    client, money_line, make_user, fake, django_capture_on_commit_callbacks
):
    late = _stripe_payment(money_line, make_user(), amount="1200")
    assert _post(client, _event("checkout.session.expired", late, fake)).status_code == 200
    _lapse(late.pledge_id)
    other = _stripe_payment(money_line, make_user(), amount="1200")  # the room goes to another
    assert _post(client, _event("checkout.session.completed", other, fake, "evt_other"))
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, _event("checkout.session.completed", late, fake))
    assert response.status_code == 200
    (refund,) = fake.posts("/v1/refunds")
    assert refund.headers["Idempotency-Key"] == f"linli-refund-{late.pk}"
    assert refund.body["amount"] == ["120000"]
    assert refund.body["payment_intent"] == ["pi_3Qx0test0000001"]
    late.refresh_from_db()
    money_line.refresh_from_db()
    assert late.status == PaymentStatus.REFUNDED and late.refund_id.startswith("re_test_")
    assert late.refunded_amount == Decimal("1200.00")
    assert Pledge.objects.get(pk=late.pledge_id).status == PledgeStatus.REFUNDED
    assert money_line.confirmed == Decimal("1200.00")  # the other donor's, untouched
    assert not Receipt.objects.filter(payment=late).exists()
    assert AuditEvent.objects.get(verb="payment.refund", target_id=str(late.pk)).reason


def test_the_refund_task_repeated_refunds_once(money_line, make_user, fake, client):
    payment = _stripe_payment(money_line, make_user())
    _post(client, _event("checkout.session.completed", payment, fake))
    payment.refresh_from_db()
    tasks.payment_refund(payment.pk, "duplicate")
    tasks.payment_refund(payment.pk, "duplicate")
    assert len(fake.posts("/v1/refunds")) == 1


def test_a_second_payment_for_a_paid_pledge_is_refunded(
    client, money_line, make_user, fake, django_capture_on_commit_callbacks
):
    payment = _stripe_payment(money_line, make_user())
    offline = payments.payment_start(pledge=payment.pledge, provider_id="offline")
    staff = make_user(Role.STATION_STAFF, money_line.listing.community)
    from marketplace.payments.offline import offline_confirm

    offline_confirm(actor=staff, payment=offline, receipt_number="B-1")
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, _event("checkout.session.completed", payment, fake))
    payment.refresh_from_db()
    money_line.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and len(fake.posts("/v1/refunds")) == 1
    assert Pledge.objects.get(pk=payment.pledge_id).status == PledgeStatus.CONFIRMED
    assert money_line.confirmed == Decimal("300.00")


def test_finance_refunds_a_stripe_payment_through_stripe(city, client, money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    _post(client, _event("checkout.session.completed", payment, fake))
    finance = make_user(Role.TOWN_REVIEWER, city.north)
    payments.payment_refund(payment=payment, actor=finance, reason="listing cancelled")
    money_line.refresh_from_db()
    assert money_line.confirmed == 0 and len(fake.posts("/v1/refunds")) == 1


def test_async_methods_wait_then_succeed_or_fail(client, money_line, make_user, fake):
    paid_later = _stripe_payment(money_line, make_user())
    failed = _stripe_payment(money_line, make_user())
    for payment, outcome in ((paid_later, "succeeded"), (failed, "failed")):
        completed = _event("checkout.session.completed", payment, fake, f"evt_c{payment.pk}")
        completed["data"]["object"]["payment_status"] = "unpaid"  # a bank debit is on its way
        assert _post(client, completed).status_code == 200
        payment.refresh_from_db()
        assert payment.status == PaymentStatus.PENDING
        event = _event(f"checkout.session.async_payment_{outcome}", payment, fake)
        event["id"] = f"evt_a{payment.pk}"
        assert _post(client, event).status_code == 200
    paid_later.refresh_from_db()
    failed.refresh_from_db()
    assert paid_later.status == PaymentStatus.SUCCEEDED and failed.status == PaymentStatus.FAILED


# --- Webhook: refusals and retries ------------------------------------------------------


def test_a_bad_signature_is_refused(client, money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    event = _event("checkout.session.completed", payment, fake)
    assert _post(client, event, secret="whsec_wrong").status_code == 400
    payload = json.dumps(event)
    assert client.post(WEBHOOK, payload, content_type="application/json").status_code == 400
    # The signature covers the raw body: re-serialised JSON no longer matches.
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    tampered = json.dumps(event, indent=1)
    response = client.post(
        WEBHOOK, tampered, content_type="application/json", headers={"Stripe-Signature": header}
    )
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not WebhookEvent.objects.exists()


def test_a_timestamp_older_than_the_tolerance_is_refused(client, money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    event = _event("checkout.session.completed", payment, fake)
    assert _post(client, event, timestamp=int(time.time()) - 301).status_code == 400
    assert not WebhookEvent.objects.exists()
    assert _post(client, event, timestamp=int(time.time()) - 290).status_code == 200


def test_signed_garbage_and_get_are_refused(client, fake):
    assert _post(client, "{not json").status_code == 400
    assert client.get(WEBHOOK).status_code == 405


def test_a_lock_timeout_answers_503_and_stripe_retries(
    client, money_line, make_user, fake, monkeypatch
):
    payment = _stripe_payment(money_line, make_user())
    event = _event("checkout.session.completed", payment, fake)
    real = payments.payment_succeeded

    def locked(**kwargs):
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(payments, "payment_succeeded", locked)
    assert _post(client, event).status_code == 503
    assert not WebhookEvent.objects.exists()  # rolled back with the effect
    monkeypatch.setattr(payments, "payment_succeeded", real)
    assert _post(client, event).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_unknown_events_and_strangers_sessions_are_recorded_and_ignored(client, fake):
    event = _fixture("checkout.session.completed")
    event["data"]["object"]["client_reference_id"] = None
    assert _post(client, event).status_code == 200
    other = {**_fixture("checkout.session.completed"), "id": "evt_2", "type": "charge.refunded"}
    assert _post(client, other).status_code == 200
    assert WebhookEvent.objects.count() == 2 and not Payment.objects.exists()


def test_a_session_whose_amount_differs_is_not_settled(client, money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    event = _event("checkout.session.completed", payment, fake)
    event["data"]["object"]["amount_total"] = 100
    assert _post(client, event).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_the_webhook_happy_path_makes_a_fixed_number_of_queries(
    client, money_line, make_user, fake, django_assert_num_queries
):
    payment = _stripe_payment(money_line, make_user())
    event = _event("checkout.session.completed", payment, fake)
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    for model in (Payment, Pledge, Receipt):  # content types are cached once per process
        ContentType.objects.get_for_model(model)
    ledger.clearing("stripe"), ledger.world(ledger.DONATIONS_IN)  # opened by the first payment
    ReceiptCounter.objects.create(year=timezone.localdate().year)  # by the year's first receipt
    # Savepoints count too; PostgreSQL adds SET LOCAL lock_timeout.
    expected = WEBHOOK_QUERIES + (1 if connection.vendor == "postgresql" else 0)
    with django_assert_num_queries(expected):
        response = client.post(
            WEBHOOK, payload, content_type="application/json", headers={"Stripe-Signature": header}
        )
    assert response.status_code == 200


# --- Reconciliation ---------------------------------------------------------------------


def test_reconciliation_settles_payments_whose_webhook_never_came(money_line, make_user, fake):
    old_paid = _stripe_payment(money_line, make_user())
    old_expired = _stripe_payment(money_line, make_user())
    recent = _stripe_payment(money_line, make_user())
    _event("checkout.session.completed", old_paid, fake)  # the events never arrive
    _event("checkout.session.expired", old_expired, fake)
    _event("checkout.session.completed", recent, fake)
    Payment.objects.exclude(pk=recent.pk).update(created_at=timezone.now() - timedelta(minutes=16))
    assert tasks.payments_reconcile() == 2
    for payment in (old_paid, old_expired, recent):
        payment.refresh_from_db()
    assert old_paid.status == PaymentStatus.SUCCEEDED and old_paid.receipt
    assert old_expired.status == PaymentStatus.EXPIRED
    assert recent.status == PaymentStatus.PENDING  # its webhook may still come
    assert tasks.payments_reconcile() == 0


def test_reconciliation_does_nothing_without_stripe(settings, money_line, make_user, fake):
    _stripe_payment(money_line, make_user())
    Payment.objects.update(created_at=timezone.now() - timedelta(hours=1))
    settings.STRIPE_SECRET_KEY = ""
    assert tasks.payments_reconcile() == 0


def test_reconciliation_queues_a_refund_whose_queueing_was_lost(
    client, money_line, make_user, fake
):
    late = _stripe_payment(money_line, make_user(), amount="1200")
    _lapse(late.pledge_id)
    _post(
        client,
        _event(
            "checkout.session.completed",
            _stripe_payment(money_line, make_user(), amount="1200"),
            fake,
            "evt_o",
        ),
    )
    # The broker was down at commit: no on-commit callback ran.
    _post(client, _event("checkout.session.completed", late, fake))
    late.refresh_from_db()
    assert late.status == PaymentStatus.SUCCEEDED and not fake.posts("/v1/refunds")
    Payment.objects.filter(pk=late.pk).update(settled_at=timezone.now() - timedelta(minutes=16))
    tasks.payments_reconcile()
    late.refresh_from_db()
    assert late.status == PaymentStatus.REFUNDED
    (refund,) = fake.posts("/v1/refunds")
    assert refund.headers["Idempotency-Key"] == f"linli-refund-{late.pk}"
    event = AuditEvent.objects.get(verb="payment.refund", target_id=str(late.pk))
    assert event.reason == payments.system_reason("late_no_room")


def test_a_lapsed_checkout_page_cannot_be_reopened(money_line, make_user, fake):
    payment = _stripe_payment(money_line, make_user())
    fake.sessions[payment.external_id].update(status="expired", url=None)
    with pytest.raises(NotPayable):
        base.get("stripe").start(payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
