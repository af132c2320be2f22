"""Background work of payments: automatic refunds and reconciliation with Stripe."""

from celery import shared_task

from marketplace.models import Payment
from marketplace.payments import services
from marketplace.payments import stripe as stripe_provider
from marketplace.payments.exceptions import ProviderError


@shared_task(
    autoretry_for=(ProviderError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=10,
)
def payment_refund(payment_pk: int, reason_code: str = "late_no_room") -> str:
    """Give back a received payment that could not be honoured (queued on commit).

    Idempotent: a refunded payment is left as it is, and the provider's idempotency key
    makes a retried call return the first refund.
    """
    payment = Payment.objects.get(pk=payment_pk)
    reason = services.system_reason(reason_code)
    return services.payment_refund(payment=payment, actor=None, reason=reason).status


@shared_task
def payments_reconcile() -> int:
    """Periodic: settle Stripe payments whose webhook never came (see the beat schedule)."""
    return stripe_provider.payments_reconcile()
