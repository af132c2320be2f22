"""Staff actions on listings: cancel (with refunds) and extend the deadline.

Guarded here as well as in the views (a call from the shell or a task is as safe), one
transaction each, locks in the marketplace's one order (listing, then its lines, then
pledges), audited. Refunds leave through the payments service after the commit: an
outbound call must not hold the listing's lock, and a refund that fails is logged and
left for finance, never undoing the cancellation.
"""

import logging
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.errors import InvalidTransition, LinliError, NotPermitted
from accounts.models import User
from accounts.permissions import has_perm
from accounts.roles import Perm
from marketplace import matching
from marketplace.models import (
    Claim,
    ClaimStatus,
    Listing,
    ListingLine,
    ListingStatus,
    Payment,
    PaymentStatus,
    Pledge,
    PledgeStatus,
)
from marketplace.payments import base as payments
from marketplace.payments.services import payment_refund

logger = logging.getLogger(__name__)

# Staff may cancel or extend only while donors can still give.
CHANGEABLE = (ListingStatus.OPEN, ListingStatus.FULLY_PLEDGED)


class ReasonRequired(LinliError):
    code = "reason_required"
    message = _("Please give a reason.")


class DeadlineNotLater(LinliError):
    code = "deadline_not_later"
    message = _("The new deadline must be later than the current one and not in the past.")


def may_manage(user: User, listing: Listing) -> bool:
    """May *user* cancel or extend *listing* (fund managers and reviewers of its area)?"""
    return has_perm(user, Perm.FUND_MANAGE, listing.community) or has_perm(
        user, Perm.WISH_REVIEW, listing.community
    )


def _guard(actor: User, listing: Listing, reason: str) -> str:
    if not may_manage(actor, listing):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return reason


def _lock(listing: Listing) -> tuple[Listing, list[ListingLine]]:
    listing = (
        Listing.objects.select_related("community")
        .select_for_update(of=("self",))
        .get(pk=listing.pk)
    )
    lines = list(ListingLine.objects.filter(listing=listing).order_by("pk").select_for_update())
    return listing, lines


def _refunds_automatically(provider_id: str) -> bool:
    """Money that moved by hand (offline) goes back by hand: staff record that refund."""
    try:
        provider = payments.get(provider_id)
    except KeyError:
        return False
    return provider.refunds_automatically


def _refund_after_commit(payment_ids: list[int], actor: User | None, reason: str) -> None:
    def refund() -> None:
        for payment in Payment.objects.filter(pk__in=payment_ids).order_by("pk"):
            try:
                payment_refund(payment=payment, actor=actor, reason=reason)
            except Exception:  # one failed refund must not stop the others
                logger.exception("Refund of payment %s failed after a listing cancel", payment.pk)

    if payment_ids:
        transaction.on_commit(refund)


def listing_cancel(*, actor: User, listing: Listing, reason: str) -> Listing:
    """Cancel a listing: release its claims, cancel pending pledges, refund received money.

    Confirmed goods and service pledges are cancelled and taken off their line's counter
    (the station returns or calls off what was arranged). Received money is refunded by the
    payments service once this transaction has committed, through providers that refund by
    themselves; money received by hand (offline) is listed in the audit entry for staff to
    hand back and record. Idempotent.

    Raises:
        NotPermitted: not a fund manager or reviewer of the listing's area.
        ReasonRequired: no reason given.
        InvalidTransition: the listing is already in delivery, delivered or closed.
    """
    reason = _guard(actor, listing, reason)
    now = timezone.now()
    with transaction.atomic():
        listing, lines = _lock(listing)
        if listing.status == ListingStatus.CANCELLED:
            return listing
        if listing.status not in CHANGEABLE:
            raise InvalidTransition(current=listing.get_status_display())
        pledges = list(
            Pledge.objects.filter(line__listing=listing)
            .filter(status__in=[PledgeStatus.PENDING, PledgeStatus.CONFIRMED])
            .order_by("pk")
            .select_for_update()
        )
        money_lines = {line.pk for line in lines if line.kind == "money"}
        pending = [p.pk for p in pledges if p.status == PledgeStatus.PENDING]
        confirmed_in_kind = [
            p
            for p in pledges
            if p.status == PledgeStatus.CONFIRMED and p.line_id not in money_lines
        ]
        Pledge.objects.filter(pk__in=pending + [p.pk for p in confirmed_in_kind]).update(
            status=PledgeStatus.CANCELLED, ended_at=now
        )
        matching.matches_release(pledges=pending, now=now)
        for line in lines:
            taken = sum((p.quantity for p in confirmed_in_kind if p.line_id == line.pk), 0)
            if taken:
                ListingLine.objects.filter(pk=line.pk).update(confirmed=F("confirmed") - taken)
        released = Claim.objects.filter(listing=listing, status=ClaimStatus.ACTIVE).update(
            status=ClaimStatus.RELEASED, ended_at=now
        )
        received = list(
            Payment.objects.filter(
                pledge__line__listing=listing, status=PaymentStatus.SUCCEEDED
            ).values_list("pk", "provider")
        )
        to_refund = [pk for pk, provider in received if _refunds_automatically(provider)]
        by_hand = [pk for pk, _provider in received if pk not in to_refund]
        old_status = listing.status
        listing.status = ListingStatus.CANCELLED
        listing.closed_at = now
        listing.save(update_fields=["status", "closed_at"])
        audit.record(
            actor=actor,
            verb="listing.cancel",
            target=listing,
            region=listing.community,
            reason=reason,
            data={
                "from": old_status,
                "claims_released": released,
                "pledges_cancelled": len(pending) + len(confirmed_in_kind),
                "refunds_through_provider": to_refund,
                "refunds_by_hand": by_hand,
            },
        )
        # The payments service lets only fund managers refund; a reviewer's cancel has the
        # system give the money back (the cancel above records who decided).
        refunder = actor if has_perm(actor, Perm.FUND_MANAGE, listing.community) else None
        _refund_after_commit(to_refund, refunder, reason)
    return listing


def listing_extend_deadline(
    *, actor: User, listing: Listing, deadline: date, reason: str
) -> Listing:
    """Move a listing's deadline later.

    Raises:
        NotPermitted: not a fund manager or reviewer of the listing's area.
        ReasonRequired: no reason given.
        DeadlineNotLater: the new date is not after the current deadline, or is past.
        InvalidTransition: the listing no longer takes gifts.
    """
    reason = _guard(actor, listing, reason)
    with transaction.atomic():
        listing = (
            Listing.objects.select_related("community")
            .select_for_update(of=("self",))
            .get(pk=listing.pk)
        )
        if listing.status not in CHANGEABLE:
            raise InvalidTransition(current=listing.get_status_display())
        old = listing.deadline
        if deadline < timezone.localdate() or (old is not None and deadline <= old):
            raise DeadlineNotLater()
        listing.deadline = deadline
        listing.save(update_fields=["deadline"])
        audit.record(
            actor=actor,
            verb="listing.extend",
            target=listing,
            region=listing.community,
            reason=reason,
            data={"from": old.isoformat() if old else None, "to": deadline.isoformat()},
        )
    return listing


def listing_delivered(*, actor: User, listing: Listing, note: str) -> Listing:
    """Staff confirm that a fully pledged listing was delivered, so its money may be paid
    out. (The station's delivery log, with its evidence, will call this.)

    Raises:
        NotPermitted: may not log deliveries or manage funds in the listing's area.
        InvalidTransition: not fully pledged or in delivery.
    """
    from marketplace.funds import may_request_disbursement

    if not may_request_disbursement(actor, listing):
        raise NotPermitted()
    note = (note or "").strip()
    if not note:
        raise ReasonRequired()
    return _deliver(actor=actor, listing=listing, note=note, how="delivery")


def listing_accepted(*, listing: Listing, actor: User | None, note: str) -> Listing:
    """A community project's work was accepted (a council vote or a staff record): its
    listing is delivered, so its money may be paid out. Idempotent.

    The caller checked who may accept (``projects.services.delivery``); *actor* is None
    when a council vote decided it.

    Raises:
        InvalidTransition: not fully pledged or in delivery.
    """
    return _deliver(actor=actor, listing=listing, note=note, how="acceptance")


def _deliver(*, actor: User | None, listing: Listing, note: str, how: str) -> Listing:
    # One verb for both ways in: the public timeline and the outcome read "delivered".
    with transaction.atomic():
        listing = (
            Listing.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=listing.pk)
        )
        if listing.status == ListingStatus.DELIVERED:
            return listing
        if listing.status not in (ListingStatus.FULLY_PLEDGED, ListingStatus.IN_DELIVERY):
            raise InvalidTransition(current=listing.get_status_display())
        old = listing.status
        listing.status = ListingStatus.DELIVERED
        listing.save(update_fields=["status"])
        audit.record(
            actor=actor,
            verb="listing.delivered",
            target=listing,
            region=listing.community,
            reason=note,
            data={"from": old} if how == "delivery" else {"from": old, "by": how},
        )
    return listing
