"""The money part of a listing's staff page: its escrow, payouts, and the forms to ask for
a payout and to confirm delivery.

Kept apart from ``staff.py`` (which includes it) and ``disbursements.py`` (whose views
render the staff page again with a failed form), so neither imports the other in a circle.
Two queries, whatever the number of payouts: the escrow with its flows summed by kind,
and the payouts with who asked and who decided.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.urls import reverse

from accounts.money import format_cny
from accounts.permissions import has_perm
from accounts.roles import Perm
from marketplace import funds
from marketplace.forms_disbursements import DisbursementRequestForm, mask_account
from marketplace.models import (
    Account,
    Disbursement,
    DisbursementStatus,
    Listing,
    ListingKind,
    ListingStatus,
    PayeeKind,
    TransactionKind,
)

ZERO = Decimal("0.00")
MATCH_KINDS = [TransactionKind.MATCH, TransactionKind.HOURS_MATCH, TransactionKind.MATCH_RETURN]
DELIVERABLE = (ListingStatus.FULLY_PLEDGED, ListingStatus.IN_DELIVERY)


@dataclass(frozen=True)
class EscrowSummary:
    """What a listing's escrow holds and what went through it (net of each kind)."""

    balance: Decimal
    matched: Decimal
    paid_out: Decimal
    refunded: Decimal
    waiting: Decimal  # payouts requested, not yet decided

    @property
    def free(self) -> Decimal:
        """As ``funds.escrow_free``: the escrow less payouts waiting for approval."""
        return self.balance - self.waiting

    def labels(self) -> dict[str, str]:
        return {
            name: format_cny(getattr(self, name))
            for name in ("balance", "matched", "paid_out", "refunded", "waiting", "free")
        }


def _escrow_flows(listing: Listing) -> dict[str, Decimal]:
    """The escrow's cached balance and its matched, paid-out and refunded sums (one query;
    no escrow yet is all zeros, and reading never opens one)."""
    row = (
        Account.objects.filter(listing=listing)
        .annotate(
            matched=Sum("lines__amount", filter=Q(lines__transaction__kind__in=MATCH_KINDS)),
            paid=Sum(
                "lines__amount", filter=Q(lines__transaction__kind=TransactionKind.DISBURSEMENT)
            ),
            refunded=Sum(
                "lines__amount", filter=Q(lines__transaction__kind=TransactionKind.REFUND)
            ),
        )
        .values("balance", "matched", "paid", "refunded")
        .first()
    )
    row = row or {}
    return {
        "balance": row.get("balance") or ZERO,
        "matched": row.get("matched") or ZERO,
        # Money out of the escrow is a negative line; shown as a positive sum.
        "paid_out": -(row.get("paid") or ZERO),
        "refunded": -(row.get("refunded") or ZERO),
    }


def payee_label(disbursement: Disbursement) -> str:
    """Who is paid, as staff see it: the kind, and a supplier's or contractor's name."""
    if disbursement.payee_kind == PayeeKind.RECIPIENT:
        return str(PayeeKind.RECIPIENT.label)
    return f"{disbursement.get_payee_kind_display()} · {disbursement.payee_name}"


def label_payouts(user, disbursements: list[Disbursement], community) -> None:
    """Give each payout its display fields. The recipient's bank account appears only to
    users who may see private data there, and then only as its last four digits."""
    private = has_perm(user, Perm.PRIVATE_VIEW, community)
    for disbursement in disbursements:
        disbursement.payee_label = payee_label(disbursement)
        disbursement.amount_label = format_cny(disbursement.amount)
        disbursement.account_masked = (
            mask_account(disbursement.recipient_account)
            if private and disbursement.payee_kind == PayeeKind.RECIPIENT
            else ""
        )


def context(user, listing: Listing, bound: dict[str, Any]) -> dict[str, Any]:
    """The money section of *listing*'s staff page; *bound* may hold a failed "payout" form
    to show again with what was typed."""
    payouts = Disbursement.objects.filter(listing=listing).select_related(
        "requested_by", "decided_by"
    )
    if not has_perm(user, Perm.PRIVATE_VIEW, listing.community):
        payouts = payouts.defer("recipient_account")  # not even decrypted
    payouts = list(payouts.order_by("-requested_at", "-pk"))
    label_payouts(user, payouts, listing.community)
    waiting = sum(
        (d.amount for d in payouts if d.status == DisbursementStatus.REQUESTED), start=ZERO
    )
    summary = EscrowSummary(waiting=waiting, **_escrow_flows(listing))
    may_request = funds.may_request_disbursement(user, listing)
    payout_form = bound.get("payout")
    if payout_form is None and may_request and funds.disbursable(listing):
        payout_form = DisbursementRequestForm(project=listing.kind == ListingKind.PROJECT)
    # Delivery is logged, with its evidence, on the station's delivery page.
    delivery_url = (
        reverse("stations:listing_delivery", args=[listing.pk])
        if listing.status in DELIVERABLE and has_perm(user, Perm.DELIVERY_LOG, listing.community)
        else None
    )
    return {
        "escrow": summary,
        "escrow_labels": summary.labels(),
        "payouts": payouts,
        "payout_form": payout_form,
        "delivery_url": delivery_url,
        "may_approve_payouts": has_perm(user, Perm.FUND_MANAGE, listing.community),
    }
