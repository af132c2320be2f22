"""Provider callbacks. Not under the language prefix: Stripe posts to one fixed address.

``urlpatterns`` is included by ``config/urls.py`` outside ``i18n_patterns``.
"""

import logging

import stripe
from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.payments import stripe as stripe_provider
from marketplace.payments.exceptions import ProviderError

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's notifications: 400 unless signed and recent; 503 on a lock timeout (retry).

    Anyone may post; only a valid signature over the raw body (within Stripe's default
    tolerance of 300 s) is acted on. A repeated event answers 200 and changes nothing.
    """
    try:
        event = stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature"),
            settings.STRIPE_WEBHOOK_SECRET,
        )
    except (stripe.SignatureVerificationError, ValueError):
        return HttpResponse(status=400)
    try:
        stripe_provider.event_handle(event)
    except (OperationalError, ProviderError) as exc:
        logger.warning("Stripe event %s postponed: %s", event.id, exc)
        return HttpResponse(status=503)
    return HttpResponse(status=200)


urlpatterns = [
    path("payments/stripe/webhook/", stripe_webhook, name="stripe_webhook"),
]
