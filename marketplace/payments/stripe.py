"""Stripe Checkout: card, and Alipay or WeChat Pay where configured; CNY counted in fen.

Fulfilment is driven by the webhook (and the reconciliation task), never by the donor's
return to the success page. Every call to Stripe goes through :func:`stripe_client`, the one
seam tests replace; every POST carries an idempotency key derived from our ids.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.money import to_fen
from marketplace.models import Payment, PaymentStatus, Pledge, WebhookEvent
from marketplace.payments import base, services
from marketplace.payments.exceptions import NotPayable, ProviderError

logger = logging.getLogger(__name__)

IDENTIFIER = "stripe"
# Stripe accepts a Checkout expiry 30 minutes to 24 hours after creation; keep clear of both.
CHECKOUT_MIN = timedelta(minutes=30) + timedelta(minutes=5)
CHECKOUT_MAX = timedelta(hours=24) - timedelta(minutes=5)
NETWORK_RETRIES = 2
LOCK_TIMEOUT = "5s"
RECONCILE_AFTER = timedelta(minutes=15)
RECONCILE_BATCH = 200


def stripe_client(http_client: stripe.HTTPClient | None = None) -> stripe.StripeClient:
    """The one way to reach Stripe. Tests replace it with a client on a fake *http_client*,
    so the library's own request code (idempotency headers included) still runs."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=http_client,
        max_network_retries=NETWORK_RETRIES,
    )


def _checkout_expiry(payment: Payment, pledge: Pledge) -> datetime:
    """The pledge's reservation end, clamped to what Stripe accepts.

    Measured from the payment's creation, not from now, so a retried request sends the
    same parameters under the same idempotency key.
    """
    return min(
        max(pledge.expires_at, payment.created_at + CHECKOUT_MIN),
        payment.created_at + CHECKOUT_MAX,
    )


def _donor_url(pledge: Pledge, outcome: str) -> str:
    """Where Stripe sends the donor back: their pledge's page, in the active language."""
    try:
        path = reverse("marketplace:pledge_detail", kwargs={"pk": pledge.pk})
    except NoReverseMatch:  # a URLconf without the donor pages (some tests)
        path = reverse("accounts:dashboard")
    return f"{settings.SITE_URL.rstrip('/')}{path}?payment={outcome}"


class StripeProvider(base.PaymentProvider):
    identifier = IDENTIFIER
    verbose_name = _("Card, Alipay or WeChat Pay (Stripe)")

    def is_enabled(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def start(self, payment: Payment, *, request: HttpRequest | None = None) -> base.StartResult:
        """Open (or find again) the Checkout Session and send the donor there.

        Raises:
            ProviderError: Stripe refused or could not be reached.
        """
        payment = Payment.objects.select_related("pledge__line__listing").get(pk=payment.pk)
        client = stripe_client()
        try:
            if payment.external_id:
                session = client.v1.checkout.sessions.retrieve(payment.external_id)
            else:
                session = client.v1.checkout.sessions.create(
                    self.session_params(payment),
                    {"idempotency_key": f"linli-payment-{payment.pk}-session"},
                )
        except stripe.StripeError as exc:
            logger.warning("Stripe session for payment %s failed: %s", payment.pk, exc)
            raise ProviderError() from exc
        if getattr(session, "status", "open") != "open":
            # Expired (or paid: the webhook settles it). Either way there is no page to show.
            if session.status == "expired":
                services.payment_expired(payment=payment)
            raise NotPayable()
        services.payment_pending(payment=payment, external_id=session.id)
        return base.StartResult(redirect_url=session.url or "")

    def session_params(self, payment: Payment) -> dict[str, Any]:
        pledge = payment.pledge
        listing = pledge.line.listing
        methods = list(getattr(settings, "STRIPE_PAYMENT_METHODS", ["card"]))
        ids = {"payment": str(payment.pk), "pledge": str(pledge.pk)}
        params: dict[str, Any] = {
            "mode": "payment",
            "currency": "cny",
            "client_reference_id": str(payment.pk),
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "cny",
                        "unit_amount": to_fen(payment.amount),
                        "product_data": {"name": f"{listing.reference} · {listing.title}"},
                    },
                }
            ],
            "payment_method_types": methods,
            "expires_at": int(_checkout_expiry(payment, pledge).timestamp()),
            "metadata": ids,
            "payment_intent_data": {"metadata": ids},
            "success_url": _donor_url(pledge, "success"),
            "cancel_url": _donor_url(pledge, "cancelled"),
            "locale": "auto",
        }
        if "wechat_pay" in methods:
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        return params

    def refund(self, payment: Payment, *, amount: Decimal, reason: str) -> str:
        """Refund the session's PaymentIntent; returns Stripe's refund id.

        Raises:
            ProviderError: Stripe refused or could not be reached.
        """
        client = stripe_client()
        try:
            session = client.v1.checkout.sessions.retrieve(payment.external_id)
            refund = client.v1.refunds.create(
                {
                    "payment_intent": _id(session.payment_intent),
                    "amount": to_fen(amount),
                    "metadata": {"payment": str(payment.pk)},
                },
                {"idempotency_key": f"linli-refund-{payment.pk}"},
            )
        except stripe.StripeError as exc:
            logger.warning("Stripe refund for payment %s failed: %s", payment.pk, exc)
            raise ProviderError() from exc
        return refund.id


def _id(value: Any) -> str:
    """An expandable field: an id, or the expanded object."""
    return value if isinstance(value, str) else value.id


# --- Events -----------------------------------------------------------------------------

SUCCEEDED_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
FAILED_EVENTS = {"checkout.session.async_payment_failed"}
EXPIRED_EVENTS = {"checkout.session.expired"}


def _payment_for(session: Any) -> Payment | None:
    """Our payment for a Checkout Session: by its id, or by our reference on it (in case
    the session was made but its id never reached our database)."""
    payment = Payment.objects.filter(provider=IDENTIFIER, external_id=session.id).first()
    reference = str(getattr(session, "client_reference_id", None) or "")
    if payment is None and reference.isdigit():
        payment = Payment.objects.filter(provider=IDENTIFIER, pk=int(reference)).first()
        if payment is not None and payment.external_id not in ("", session.id):
            return None  # another session's payment: not ours to touch
    return payment


def _amount_matches(payment: Payment, session: Any) -> bool:
    total = getattr(session, "amount_total", None)
    currency = str(getattr(session, "currency", None) or "cny")
    return (total is None or total == to_fen(payment.amount)) and currency.lower() == "cny"


def session_apply(session: Any, *, event_type: str = "") -> Payment | None:
    """Apply what a Checkout Session says to our payment (monotonic, idempotent).

    *event_type* decides what an event means; without one (reconciliation, or a re-read
    session) the session's own state decides. Call inside the webhook's transaction or on
    its own.
    """
    payment = _payment_for(session)
    if payment is None:
        logger.warning("Stripe session %s matches no payment", session.id)
        return None
    if not _amount_matches(payment, session):
        logger.error("Stripe session %s amount differs from payment %s", session.id, payment.pk)
        return payment
    paid = getattr(session, "payment_status", None) == "paid"
    status = getattr(session, "status", None)
    if event_type in SUCCEEDED_EVENTS and (paid or event_type != "checkout.session.completed"):
        return services.payment_succeeded(payment=payment, external_id=session.id)
    if event_type in FAILED_EVENTS:
        return services.payment_failed(payment=payment)
    if status == "complete" and paid:
        return services.payment_succeeded(payment=payment, external_id=session.id)
    if status == "expired":
        return services.payment_expired(payment=payment)
    return payment  # open, or complete but an async method still pending: wait


def event_handle(event: Any) -> bool:
    """Store the event under its unique id and apply it, in one transaction.

    Returns False for a repeated delivery (nothing done). An expiry is re-read from Stripe
    before any lock is taken: a session that completed meanwhile is settled, not expired.

    Raises:
        django.db.OperationalError: a lock was not granted in time (answer 503: Stripe retries).
        ProviderError: the re-read failed (answer 503 as well).
    """
    session = event.data.object
    event_type = event.type
    if event_type in EXPIRED_EVENTS:
        try:
            session = stripe_client().v1.checkout.sessions.retrieve(session.id)
        except stripe.StripeError as exc:
            raise ProviderError() from exc
        event_type = ""  # the fresh session's state decides
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(
                    provider=IDENTIFIER, event_id=event.id, event_type=event.type[:80]
                )
        except IntegrityError:
            return False
        if event.type.startswith("checkout.session."):
            session_apply(session, event_type=event_type)
    return True


def payments_reconcile(*, now: datetime | None = None) -> int:
    """Settle Stripe payments pending for a while whose webhook never came.

    Returns how many sessions were read. A session that cannot be read now is tried again
    next time.
    """
    now = now or timezone.now()
    if not StripeProvider().is_enabled():
        return 0
    pending = Payment.objects.filter(
        provider=IDENTIFIER, status=PaymentStatus.PENDING, created_at__lte=now - RECONCILE_AFTER
    ).exclude(external_id="")
    client = stripe_client()
    read = 0
    for payment in pending.order_by("created_at")[:RECONCILE_BATCH]:
        try:
            session = client.v1.checkout.sessions.retrieve(payment.external_id)
            read += 1
            session_apply(session)
        except (stripe.StripeError, OperationalError) as exc:
            logger.warning("Reconciling payment %s: %s", payment.pk, exc)
    # A refund whose queueing was lost (a broker outage at commit) is queued again; the
    # idempotency key makes a repeat return the first refund.
    stuck = services.refunds_due().filter(
        provider=IDENTIFIER, settled_at__lte=now - RECONCILE_AFTER
    )
    for pk in stuck.values_list("pk", flat=True)[:RECONCILE_BATCH]:
        services.refund_queue(pk)
    return read


base.register(StripeProvider())
