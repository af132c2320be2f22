"""Paying for money pledges: start, settle, fail, expire, refund.

Lock order is pledge_confirm's, extended: listing → line → pledge → payment, all in one
transaction, re-read after locking. Payment states only move forward (created → pending →
succeeded/failed/expired → refunded; a failed or expired payment may still succeed, because
money that really arrived wins); a repeated or late notice is a harmless no-op.
Providers are called outside any row lock: the network never holds a listing.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.errors import NotPermitted
from accounts.models import AuditEvent, Region, User
from accounts.permissions import has_perm
from accounts.roles import Perm
from marketplace import ledger, matching
from marketplace.models import (
    LineKind,
    Listing,
    ListingLine,
    ListingStatus,
    Match,
    MatchStatus,
    Payment,
    PaymentStatus,
    Pledge,
    PledgeStatus,
    Receipt,
    ReceiptCounter,
    TransactionKind,
)
from marketplace.payments import base
from marketplace.payments.exceptions import (
    AlreadyPaidOut,
    NotPayable,
    NotRefundable,
    ProviderUnavailable,
    ReasonRequired,
)
from marketplace.services import _confirm_locked, lock_chain, refresh_listing_status

logger = logging.getLogger(__name__)

OPEN_STATUSES = (PaymentStatus.CREATED, PaymentStatus.PENDING)
_LAPSABLE = (PledgeStatus.PENDING, PledgeStatus.EXPIRED)
# Why a succeeded payment is given back without anyone asking (recorded in the audit trail).
AUTO_REFUND_REASONS = {
    "late_no_room": _(
        "The payment arrived after the reservation lapsed, and others had met the need by then."
    ),
    "duplicate": _("This pledge had already been paid by another payment."),
    "not_open": _("The pledge or its listing was no longer open when the payment arrived."),
}


def provider_for(provider_id: str) -> base.PaymentProvider:
    """The enabled provider *provider_id*.

    Raises:
        ProviderUnavailable: unknown, or switched off in the settings.
    """
    try:
        provider = base.get(provider_id)
    except KeyError as exc:
        raise ProviderUnavailable() from exc
    if not provider.is_enabled():
        raise ProviderUnavailable()
    return provider


def _lock_chain(payment_pk: int) -> tuple[Listing, ListingLine, Pledge, Payment]:
    """Lock and re-read the payment's listing, line, pledge and payment, in that order.

    Call inside a transaction.
    """
    pledge_id, line_id, listing_id = Payment.objects.values_list(
        "pledge_id", "pledge__line_id", "pledge__line__listing_id"
    ).get(pk=payment_pk)
    listing, line, pledge = lock_chain(listing_id, line_id, pledge_id)
    payment = Payment.objects.select_for_update().get(pk=payment_pk)
    return listing, line, pledge, payment


def _region_of(payment: Payment) -> Region:
    return Region.objects.get(listings__lines__pledges__payments=payment)


def payment_start(*, pledge: Pledge, provider_id: str, now: datetime | None = None) -> Payment:
    """Open a payment for a pending money pledge (a double click finds the open one).

    The caller (the donor's view) checks that *pledge* is the signed-in donor's, then asks
    the provider to ``start`` the returned payment.

    Raises:
        ProviderUnavailable: *provider_id* is unknown or disabled.
        NotPayable: the pledge is not pending, its reservation lapsed, or it is not money.
    """
    provider_for(provider_id)
    now = now or timezone.now()
    with transaction.atomic():
        # The pledge alone is locked (nothing else is held), so no lock order is at stake.
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        kind = ListingLine.objects.values_list("kind", flat=True).get(pk=pledge.line_id)
        if kind != LineKind.MONEY or pledge.status != PledgeStatus.PENDING:
            raise NotPayable()
        if pledge.expires_at <= now:
            raise NotPayable()
        existing = Payment.objects.filter(
            pledge=pledge, provider=provider_id, status__in=OPEN_STATUSES
        ).first()
        if existing is not None:
            return existing
        payment = Payment.objects.create(
            pledge=pledge, provider=provider_id, amount=pledge.quantity, created_at=now
        )
        audit.record(
            actor=pledge.donor,
            verb="payment.start",
            target=payment,
            data={"pledge": pledge.pk, "provider": provider_id, "amount": str(payment.amount)},
        )
    return payment


def payment_pending(*, payment: Payment, external_id: str) -> Payment:
    """The provider took the payment on (a checkout page, a reference code): created → pending.

    Stores the provider's *external_id* if none is stored yet. Idempotent; any later state
    is left alone.

    Raises:
        IntegrityError: *external_id* is already another payment's of the same provider.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        fields = []
        if external_id and not payment.external_id:
            payment.external_id = external_id
            fields.append("external_id")
        if payment.status == PaymentStatus.CREATED:
            payment.status = PaymentStatus.PENDING
            fields.append("status")
        if fields:
            payment.save(update_fields=fields)
    return payment


def _receipt_issue(payment: Payment, now: datetime) -> Receipt:
    """Number the receipt ``R<year>-<sequence>`` from the year's counter, without gaps.

    Caller holds the payment's row lock. The counter's row lock is held to the end of the
    payment's transaction, so receipts are numbered one payment at a time (a short tail of
    each transaction; a retry loop on the unique number failed under eight clients in the
    benchmark). The unique constraints stay as the last line.
    """
    year = timezone.localtime(now).year
    counter = ReceiptCounter.objects.select_for_update().filter(pk=year).first()
    if counter is None:  # the year's first receipt (or the first since the counter came)
        ReceiptCounter.objects.get_or_create(
            year=year,
            defaults={
                "last": Receipt.objects.filter(year=year).aggregate(last=Max("sequence"))["last"]
                or 0
            },
        )
        counter = ReceiptCounter.objects.select_for_update().get(pk=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return Receipt.objects.create(
        number=f"R{year}-{counter.last:06d}",
        year=year,
        sequence=counter.last,
        payment=payment,
        issued_at=now,
    )


def refund_queue(payment_pk: int, reason_code: str = "") -> None:
    """Queue the automatic refund of a payment that could not be honoured.

    Without *reason_code*, the one recorded when the refund fell due is used.
    """
    from marketplace.payments import tasks  # tasks import this module

    if not reason_code:
        due = AuditEvent.objects.filter(
            verb="payment.refund_due", target_id=str(payment_pk)
        ).first()
        reason_code = (due.data.get("code") if due else "") or "not_open"
    tasks.payment_refund.delay(payment_pk, reason_code)


def payment_succeeded(
    *,
    payment: Payment,
    external_id: str = "",
    actor: User | None = None,
    receipt_number: str = "",
    now: datetime | None = None,
) -> Payment:
    """The money arrived: settle the payment, confirm the pledge, issue the receipt.

    If the pledge can no longer be honoured (its reservation lapsed and others filled the
    line, it was cancelled, the listing closed, or another payment already paid it) the
    payment still counts as received, the pledge becomes refunded and the money goes back:
    through the provider after commit where it refunds automatically, else staff see it as
    a refund due. Idempotent.

    Locks listing → line → pledge → payment (in one transaction).
    """
    now = now or timezone.now()
    with transaction.atomic():
        listing, line, pledge, payment = _lock_chain(payment.pk)
        if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            return payment
        payment.status = PaymentStatus.SUCCEEDED
        payment.settled_at = now
        fields = ["status", "settled_at"]
        if external_id and not payment.external_id:
            payment.external_id = external_id
            fields.append("external_id")
        if receipt_number:
            payment.receipt_number = receipt_number
            fields.append("receipt_number")
        if actor is not None and actor.is_authenticated:
            payment.confirmed_by = actor
            fields.append("confirmed_by")
        payment.save(update_fields=fields)
        audit.record(
            actor=actor,
            verb="payment.succeed",
            target=payment,
            region=listing.community,
            data={"pledge": pledge.pk, "amount": str(payment.amount), "provider": payment.provider},
        )
        reason_code = ""
        if (
            pledge.status == PledgeStatus.CONFIRMED
            and Payment.objects.filter(pledge=pledge, status=PaymentStatus.SUCCEEDED)
            .exclude(pk=payment.pk)
            .exists()
        ):
            reason_code = "duplicate"
        elif listing.status == ListingStatus.CANCELLED:
            reason_code = "not_open"
        elif not _confirm_locked(listing, line, pledge, now, actor=actor):
            reason_code = "late_no_room" if pledge.status in _LAPSABLE else "not_open"
        _post_payment(payment, listing, pledge, honoured=not reason_code, actor=actor, now=now)
        if not reason_code:
            if matching.matches_confirm(
                pledge=pledge, listing=listing, line=line, now=now, actor=actor
            ):
                refresh_listing_status(listing)  # the match may have filled the line
            receipt = _receipt_issue(payment, now)
            audit.record(
                actor=actor,
                verb="receipt.issue",
                target=receipt,
                region=listing.community,
                data={"payment": payment.pk},
            )
            return payment
        if pledge.status != PledgeStatus.CONFIRMED:
            pledge.status = PledgeStatus.REFUNDED
            pledge.ended_at = now
            pledge.save(update_fields=["status", "ended_at"])
            matching.matches_release(pledges=[pledge.pk], now=now)
        audit.record(
            actor=None,
            verb="payment.refund_due",
            target=payment,
            region=listing.community,
            reason=system_reason(reason_code),
            data={"pledge": pledge.pk, "code": reason_code},
        )
        if base.get(payment.provider).refunds_automatically:
            # robust: a broker outage must not fail the webhook after commit; the
            # reconciliation task queues the refund again.
            transaction.on_commit(lambda: refund_queue(payment.pk, reason_code), robust=True)
    return payment


def _post_payment(
    payment: Payment,
    listing: Listing,
    pledge: Pledge,
    *,
    honoured: bool,
    actor: User | None,
    now: datetime,
) -> None:
    """Post the money in: donors → the provider's clearing and, when the pledge is
    honoured, on into the listing's escrow (one transaction). Money that cannot be
    honoured waits in clearing until it is refunded."""
    clearing = ledger.clearing(payment.provider)
    legs = [
        ledger.Leg(source=ledger.world(ledger.DONATIONS_IN), target=clearing, amount=payment.amount)
    ]
    if honoured:
        legs.append(
            ledger.Leg(source=clearing, target=ledger.escrow(listing), amount=payment.amount)
        )
    ledger.post(
        kind=TransactionKind.PAYMENT,
        legs=legs,
        memo=pledge.reference,
        actor=actor,
        external_reference=payment.receipt_number or payment.external_id,
        listing=listing,
        pledge=pledge,
        now=now,
    )


def system_reason(code: str) -> str:
    """An automatic reason, written in the site's language like the staff's own reasons."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(AUTO_REFUND_REASONS[code])


def _payment_end(payment: Payment, status: str, verb: str, now: datetime | None) -> Payment:
    with transaction.atomic():
        # Only the payment is locked: the pledge keeps its reservation until it lapses.
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status not in OPEN_STATUSES:
            return payment  # never back from succeeded or refunded; a repeat changes nothing
        payment.status = status
        payment.settled_at = now or timezone.now()
        payment.save(update_fields=["status", "settled_at"])
        audit.record(actor=None, verb=verb, target=payment, region=_region_of(payment))
    return payment


def payment_failed(*, payment: Payment, now: datetime | None = None) -> Payment:
    """The provider says the payment failed (the donor may try again). Monotonic, idempotent.

    Locks the payment only.
    """
    return _payment_end(payment, PaymentStatus.FAILED, "payment.fail", now)


def payment_expired(*, payment: Payment, now: datetime | None = None) -> Payment:
    """The checkout page or the reference code lapsed unpaid. Monotonic, idempotent.

    Locks the payment only.
    """
    return _payment_end(payment, PaymentStatus.EXPIRED, "payment.expire", now)


def payment_refund(
    *,
    payment: Payment,
    actor: User | None,
    reason: str,
    refund_reference: str = "",
    now: datetime | None = None,
) -> Payment:
    """Give a received payment back, through its provider, and record it.

    *actor* None is the system (the automatic refund task); staff need Perm.FUND_MANAGE in
    the listing's community. Offline providers move no money: staff hand it back and give
    *refund_reference* (the transfer's number). The pledge becomes refunded and leaves the
    line's confirmed counter, unless another payment of the same pledge still pays for it.
    Idempotent: a refunded payment is returned as it is.

    Raises:
        ReasonRequired: *reason* is empty.
        NotPermitted: *actor* lacks Perm.FUND_MANAGE there.
        NotRefundable: the payment has not succeeded.
        AlreadyPaidOut: the money was paid out of the listing's escrow already.
        ProviderError: the provider refused or could not be reached (nothing changed).

    Locks listing → line → pledge → payment, checks the escrow under that lock, and only
    then calls the provider, inside the same transaction: a payout approved meanwhile
    cannot take the money the refund was promised. If the provider refuses, nothing is
    recorded; its idempotency key makes a repeat harmless. A refund is a rare staff or
    system action, so holding the listing's lock for one provider call is the price of
    never refunding money the ledger cannot give back.
    """
    reason = reason.strip()
    if not reason:
        raise ReasonRequired()
    now = now or timezone.now()
    payment = Payment.objects.get(pk=payment.pk)
    region = _region_of(payment)
    if actor is not None and not has_perm(actor, Perm.FUND_MANAGE, region):
        raise NotPermitted()
    if payment.status == PaymentStatus.REFUNDED:
        return payment
    if payment.status != PaymentStatus.SUCCEEDED:
        raise NotRefundable()
    with transaction.atomic():
        listing, line, pledge, payment = _lock_chain(payment.pk)
        if payment.status == PaymentStatus.REFUNDED:
            return payment
        if payment.status != PaymentStatus.SUCCEEDED:
            raise NotRefundable()
        amount = payment.amount - payment.refunded_amount
        honoured = Receipt.objects.filter(payment=payment).exists()
        if honoured:
            # Money paid out of the listing's escrow cannot be given back; the matches the
            # pledge drew go back to their funds out of the same escrow.
            drawn = Match.objects.filter(
                pledge_id=payment.pledge_id, status=MatchStatus.CONFIRMED
            ).total()
            if ledger.escrow(listing).balance < amount + drawn:
                raise AlreadyPaidOut()
        refund_id = base.get(payment.provider).refund(payment, amount=amount, reason=reason)
        payment.status = PaymentStatus.REFUNDED
        payment.refunded_amount = payment.amount
        payment.refund_id = (refund_id or refund_reference)[:120]
        payment.save(update_fields=["status", "refunded_amount", "refund_id"])
        ledger.post(
            kind=TransactionKind.REFUND,
            legs=[
                ledger.Leg(
                    source=ledger.escrow(listing)
                    if honoured
                    else ledger.clearing(payment.provider),
                    target=ledger.world(ledger.REFUNDS),
                    amount=payment.amount,
                )
            ],
            memo=pledge.reference,  # the reason is in the audit trail, not the public ledger
            actor=actor,
            external_reference=payment.refund_id,
            listing=listing,
            pledge=pledge,
            now=now,
        )
        audit.record(
            actor=actor,
            verb="payment.refund",
            target=payment,
            region=listing.community,
            reason=reason,
            data={"amount": str(amount), "refund": payment.refund_id},
        )
        # Another honoured payment (one with its receipt) may still pay for the pledge.
        still_paid = (
            Payment.objects.filter(
                pledge=pledge, status=PaymentStatus.SUCCEEDED, receipt__isnull=False
            )
            .exclude(pk=payment.pk)
            .exists()
        )
        if not still_paid and pledge.status != PledgeStatus.REFUNDED:
            _pledge_refunded(listing, line, pledge, actor=actor, reason=reason, now=now)
    return payment


def _pledge_refunded(
    listing: Listing, line: ListingLine, pledge: Pledge, *, actor, reason: str, now: datetime
) -> None:
    """Mark *pledge* refunded; a confirmed one leaves the line's counter.

    Caller holds listing → line → pledge.
    """
    if pledge.status == PledgeStatus.CONFIRMED:
        ListingLine.objects.filter(pk=line.pk).update(confirmed=F("confirmed") - pledge.quantity)
        matching.matches_return(
            pledge=pledge, listing=listing, line=line, now=now, actor=actor, reason=reason
        )
        if listing.status == ListingStatus.FULLY_PLEDGED:
            listing.status = ListingStatus.OPEN
            listing.save(update_fields=["status"])
            audit.record(
                actor=actor, verb="listing.reopen", target=listing, region=listing.community
            )
    pledge.status = PledgeStatus.REFUNDED
    pledge.ended_at = now
    pledge.save(update_fields=["status", "ended_at"])
    audit.record(
        actor=actor,
        verb="pledge.refund",
        target=pledge,
        region=listing.community,
        reason=reason,
        data={"quantity": str(pledge.quantity)},
    )


def refunds_due():
    """Received payments that were not honoured and whose money is still here.

    An honoured payment always has its receipt; one that could not be honoured has none.
    """
    return Payment.objects.filter(status=PaymentStatus.SUCCEEDED, receipt__isnull=True)
