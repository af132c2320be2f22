"""Payouts: staff ask for money raised for a listing to be paid out, confirm a delivery, and
fund managers approve or reject each payout in their queue.

Asking happens on the listing's staff page (station staff who log deliveries, and fund
managers); approving happens in the queue, by a fund manager of the listing's area who is
not the one who asked. A listing or payout outside the user's area is a 404; so is an
action the user may not take there (they see no form for it). The services guard all of
it again.

The recipient's bank account is never shown in full: only its last four digits, and only
to staff who may see private data in the listing's area.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import LinliError
from accounts.models import User
from accounts.money import format_cny
from accounts.permissions import has_perm_anywhere, region_q
from accounts.roles import Perm
from marketplace import funds
from marketplace.forms_disbursements import (
    ApproveForm,
    DisbursementFilterForm,
    DisbursementRequestForm,
    RejectForm,
)
from marketplace.models import Disbursement, DisbursementStatus, Listing, ListingKind
from marketplace.views import listing_money
from marketplace.views.staff import _detail as listing_page
from marketplace.views.staff import access_listing

PAGE_SIZE = 25


# --- On the listing's page --------------------------------------------------------------


def _payout_listing(request: HttpRequest, pk: int) -> Listing:
    """A listing in the user's area on which they may ask for payouts. Raises Http404."""
    listing = access_listing(request.user, pk)
    if not funds.may_request_disbursement(request.user, listing):
        raise Http404
    return listing


@require_POST
@login_required
def disbursement_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a payout from the listing's escrow (approved later by a fund manager)."""
    listing = _payout_listing(request, pk)
    form = DisbursementRequestForm(request.POST, project=listing.kind == ListingKind.PROJECT)
    if not form.is_valid():
        return listing_page(request, listing, bound={"payout": form}, status=400)
    try:
        disbursement = funds.disbursement_request(
            actor=request.user, listing=listing, **form.service_kwargs()
        )
    except funds.InsufficientFunds as error:
        form.add_error(
            "amount",
            _(
                "Only %(available)s is free to pay out: what the escrow holds, less payouts "
                "already waiting for approval."
            )
            % error.params,
        )
        return listing_page(request, listing, bound={"payout": form}, status=error.status)
    except LinliError as error:
        form.add_error(None, str(error))
        return listing_page(request, listing, bound={"payout": form}, status=error.status)
    messages.success(
        request,
        _("A payout of %(amount)s is requested. Another person, a fund manager, approves it.")
        % {"amount": format_cny(disbursement.amount)},
    )
    return redirect("marketplace:staff_detail", pk=listing.pk)


# --- The approval queue -----------------------------------------------------------------


def _require_fund_manager(request: HttpRequest) -> None:
    if not has_perm_anywhere(request.user, Perm.FUND_MANAGE):
        raise Http404


def managed_disbursements(user: User) -> QuerySet[Disbursement]:
    """Payouts of listings whose community lies in the user's fund-manager area."""
    return Disbursement.objects.filter(region_q(user, Perm.FUND_MANAGE, field="listing__community"))


def access_disbursement(user: User, pk: int) -> Disbursement:
    """A payout in the user's fund-manager area. Raises Http404 elsewhere."""
    disbursement = (
        managed_disbursements(user).filter(pk=pk).select_related("listing__community").first()
    )
    if disbursement is None:
        raise Http404
    return disbursement


def _queue_order() -> tuple:
    """Waiting payouts first, oldest first; then decided ones, latest decision first."""
    waiting = Q(status=DisbursementStatus.REQUESTED)
    return (
        Case(When(waiting, then=Value(0)), default=Value(1), output_field=IntegerField()),
        Case(When(waiting, then=F("requested_at"))).asc(nulls_last=True),
        F("decided_at").desc(nulls_last=True),
        F("pk").desc(),
    )


def _queue(
    request: HttpRequest,
    *,
    bound: dict[str, Any] | None = None,
    bound_pk: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The queue page; *bound* holds a failed "approve" or "reject" form of payout *bound_pk*."""
    bound = bound or {}
    user = request.user
    form = DisbursementFilterForm(request.GET or None)
    rows = (
        form.filter(managed_disbursements(user))
        .select_related("listing__community", "requested_by", "decided_by")
        .annotate(escrow_balance=F("listing__escrow__balance"))
        .order_by(*_queue_order())
    )
    if not has_perm_anywhere(user, Perm.PRIVATE_VIEW):
        rows = rows.defer("recipient_account")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = False
    for disbursement in page:
        listing_money.label_payouts(user, [disbursement], disbursement.listing.community)
        disbursement.escrow_label = format_cny(disbursement.escrow_balance or 0)
        disbursement.own = disbursement.requested_by_id == user.pk
        mine = disbursement.pk == bound_pk
        approve = bound.get("approve") if mine else None
        reject = bound.get("reject") if mine else None
        if disbursement.status == DisbursementStatus.REQUESTED:
            if approve is None and not disbursement.own:  # four eyes: not one's own
                approve = ApproveForm(disbursement_pk=disbursement.pk)
            if reject is None:
                reject = RejectForm(disbursement_pk=disbursement.pk)
        disbursement.approve_form, disbursement.reject_form = approve, reject
        shown = shown or (mine and bool(bound))
    # A failed form whose payout is not on this page (filtered away, or decided meanwhile)
    # still tells why it failed.
    failed = next(iter(bound.values()), None)
    params = request.GET.copy()
    here = params.urlencode()
    params.pop("page", None)
    return render(
        request,
        "marketplace/disbursements/queue.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "here": here,
            "unshown_errors": failed.non_field_errors()
            if failed is not None and not shown
            else None,
        },
        status=status,
    )


@require_GET
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Payouts waiting for approval in the user's area, then the latest decisions."""
    _require_fund_manager(request)
    return _queue(request)


def _back_to_queue(request: HttpRequest) -> HttpResponse:
    url = reverse("marketplace:disbursements")
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


def _decide(request: HttpRequest, pk: int, name: str, form_class, decide) -> HttpResponse:
    """Approve or reject payout *pk*; the form's failure is shown in the queue, on its row."""
    _require_fund_manager(request)
    disbursement = access_disbursement(request.user, pk)
    form = form_class(request.POST, disbursement_pk=disbursement.pk)
    if not form.is_valid():
        return _queue(request, bound={name: form}, bound_pk=disbursement.pk, status=400)
    try:
        decide(disbursement, form.cleaned_data)
    except funds.InsufficientFunds as error:
        form.add_error(
            None,
            _(
                "The listing's escrow holds only %(available)s, less than this payout. "
                "Nothing was paid."
            )
            % error.params,
        )
        return _queue(request, bound={name: form}, bound_pk=disbursement.pk, status=error.status)
    except LinliError as error:
        form.add_error(None, str(error))
        return _queue(request, bound={name: form}, bound_pk=disbursement.pk, status=error.status)
    return _back_to_queue(request)


@require_POST
@login_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    def decide(disbursement: Disbursement, data: dict) -> None:
        funds.disbursement_approve(
            actor=request.user,
            disbursement=disbursement,
            payment_reference=data["payment_reference"],
        )
        messages.success(
            request,
            _("The payout of %(amount)s to %(payee)s is approved and recorded as paid.")
            % {
                "amount": format_cny(disbursement.amount),
                "payee": disbursement.public_payee,
            },
        )

    return _decide(request, pk, "approve", ApproveForm, decide)


@require_POST
@login_required
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    def decide(disbursement: Disbursement, data: dict) -> None:
        funds.disbursement_reject(
            actor=request.user, disbursement=disbursement, reason=data["reason"]
        )
        messages.success(
            request,
            _("The payout of %(amount)s was not approved; the money stays in the escrow.")
            % {"amount": format_cny(disbursement.amount)},
        )

    return _decide(request, pk, "reject", RejectForm, decide)


urlpatterns = [
    path(
        "staff/listings/<int:pk>/disbursements/new/",
        disbursement_request,
        name="disbursement_request",
    ),
    path("staff/disbursements/", queue, name="disbursements"),
    path("staff/disbursements/<int:pk>/approve/", approve, name="disbursement_approve"),
    path("staff/disbursements/<int:pk>/reject/", reject, name="disbursement_reject"),
]
