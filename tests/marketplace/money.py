"""Paying for pledges in tests, the way donors do: through a payment that settles."""

from itertools import count

from marketplace.models import LineKind, Payment, Pledge
from marketplace.payments import services as payments
from marketplace.services import pledge_confirm

_receipts = count(1)


def pay(pledge: Pledge, *, now=None) -> Payment:
    """Pay *pledge* by bank transfer and have staff confirm the money (offline provider)."""
    payment = payments.payment_start(pledge=pledge, provider_id="offline", now=now)
    return payments.payment_succeeded(
        payment=payment, receipt_number=f"BANK-{next(_receipts):06d}", now=now
    )


def settle(pledge: Pledge) -> bool:
    """Confirm *pledge*: money by its payment, goods and service by staff. True if honoured."""
    if pledge.line.kind == LineKind.MONEY:
        pledge.refresh_from_db()
        if pledge.status != "confirmed":  # paying twice is not how a repeat looks
            pay(pledge)
        pledge.refresh_from_db()
        return pledge.status == "confirmed"
    return pledge_confirm(pledge=pledge)
