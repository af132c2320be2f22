"""Offline payment: a bank transfer to the city charity federation, or cash at the station.

The donor gets a reference code to write on the transfer (or to quote at the station);
finance or station staff confirm the money with the receipt number they hold. No money
moves through us, so refunds are handed back by staff and recorded, never automatic.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.errors import NotPermitted
from accounts.models import User
from accounts.money import format_cny
from accounts.permissions import has_perm
from accounts.roles import Perm
from marketplace.models import Payment
from marketplace.payments import base, services
from marketplace.payments.exceptions import ReceiptNumberRequired

IDENTIFIER = "offline"
# No 0/O, 1/I/L: the code is read aloud at a counter and typed from a bank slip.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_ATTEMPTS = 5
DEV_BANK_ACCOUNT = "东莞市慈善会 · 中国银行东莞分行 · 6200 0000 0000 0000 (demo)"


def reference_code() -> str:
    """``LL`` and eight unambiguous characters: 31⁸ ≈ 8.5 × 10¹¹ codes."""
    return "LL" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class OfflineProvider(base.PaymentProvider):
    identifier = IDENTIFIER
    verbose_name = _("Bank transfer or cash at the station")
    refunds_automatically = False

    def start(self, payment: Payment, *, request: HttpRequest | None = None) -> base.StartResult:
        """Give the payment its reference code (once) and tell the donor how to pay."""
        for attempt in range(CODE_ATTEMPTS):
            if payment.external_id:
                break
            try:
                payment = services.payment_pending(payment=payment, external_id=reference_code())
            except IntegrityError:  # the code is taken: draw again
                if attempt == CODE_ATTEMPTS - 1:
                    raise
        return base.StartResult(instructions=self.instructions(payment))

    def instructions(self, payment: Payment) -> str:
        """How to pay, in the active language."""
        params = {
            "amount": format_cny(payment.amount),
            "account": getattr(settings, "OFFLINE_BANK_ACCOUNT", "") or DEV_BANK_ACCOUNT,
            "code": payment.external_id,
        }
        text = [
            gettext(
                "Transfer %(amount)s to %(account)s and write the reference %(code)s in the "
                "transfer's remark."
            )
            % params
        ]
        station = payment.pledge.line.listing.station
        if station is not None:
            text.append(
                gettext(
                    "Or pay in cash at %(station)s, %(address)s (%(hours)s), quoting the "
                    "reference %(code)s."
                )
                % {
                    **params,
                    "station": station.label,
                    "address": station.address,
                    "hours": station.opening_hours or "—",
                }
            )
        return " ".join(text)

    def refund(self, payment: Payment, *, amount: Decimal, reason: str) -> str:
        """Nothing to call: staff hand the money back and record the refund's reference."""
        return ""


def offline_confirm(*, actor: User, payment: Payment, receipt_number: str) -> Payment:
    """Staff confirm that an offline payment arrived, with the receipt number they hold.

    Raises:
        ReceiptNumberRequired: *receipt_number* is empty.
        NotPermitted: not an offline payment, or *actor* lacks Perm.DELIVERY_LOG (station)
            and Perm.FUND_MANAGE (finance) in the listing's community.

    Locks as ``payment_succeeded`` does.
    """
    receipt_number = receipt_number.strip()
    if not receipt_number:
        raise ReceiptNumberRequired()
    payment = Payment.objects.select_related("pledge__line__listing__community").get(pk=payment.pk)
    community = payment.pledge.line.listing.community
    if payment.provider != IDENTIFIER or not (
        has_perm(actor, Perm.DELIVERY_LOG, community)
        or has_perm(actor, Perm.FUND_MANAGE, community)
    ):
        raise NotPermitted()
    return services.payment_succeeded(payment=payment, actor=actor, receipt_number=receipt_number)


base.register(OfflineProvider())
