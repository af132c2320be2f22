"""Listing pages for staff: oversight of listings, claims, pledges and payments in their area.

Everything is scoped to the user's area (a listing's area is its community): a listing
elsewhere is a 404, never a 403. Staff see donors' names and e-mail addresses (donors are
not the recipients whose data is private). Each action checks here the permission its
service guards again, so a user who may not act sees no form and gets a 404 if they post.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import LinliError
from accounts.models import User
from accounts.permissions import has_perm, has_perm_anywhere, region_q
from accounts.roles import Perm
from marketplace import staff_services
from marketplace.forms_staff import CancelForm, ExtendForm, ListingFilterForm, OfflineConfirmForm
from marketplace.models import (
    Claim,
    Listing,
    Payment,
    PaymentStatus,
    Pledge,
    PledgeStatus,
)
from marketplace.payments.offline import IDENTIFIER as OFFLINE_PROVIDER
from marketplace.payments.offline import offline_confirm
from marketplace.views import listing_money
from marketplace.views.donor import _display_status, _lines, amount_label

PAGE_SIZE = 25


def _require_staff(request: HttpRequest) -> None:
    if not has_perm_anywhere(request.user, Perm.WORKSPACE_VIEW):
        raise Http404


def staff_listings(user: User):
    """Listings in the user's area."""
    return Listing.objects.filter(region_q(user, Perm.WORKSPACE_VIEW, field="community"))


def access_listing(user: User, pk: int) -> Listing:
    """A listing in the user's area. Raises Http404 elsewhere."""
    listing = (
        staff_listings(user).filter(pk=pk).select_related("community__parent", "station").first()
    )
    if listing is None:
        raise Http404
    return listing


def may_confirm_offline(user: User, listing: Listing) -> bool:
    """Finance (fund managers) or the station's staff (who log hand-overs) may confirm."""
    return has_perm(user, Perm.FUND_MANAGE, listing.community) or has_perm(
        user, Perm.DELIVERY_LOG, listing.community
    )


def _confirmable(payment: Payment) -> bool:
    return payment.provider == OFFLINE_PROVIDER and payment.status in (
        PaymentStatus.CREATED,
        PaymentStatus.PENDING,
    )


# --- The list ---------------------------------------------------------------------------


@require_GET
@login_required
def listing_list(request: HttpRequest) -> HttpResponse:
    """Listings of the user's area with their pledges waiting and confirmed."""
    _require_staff(request)
    now = timezone.now()
    form = ListingFilterForm(request.GET or None)
    listings = (
        form.filter(staff_listings(request.user))
        .select_related("community")
        .annotate(
            pending_count=Count(
                "lines__pledges",
                filter=Q(
                    lines__pledges__status=PledgeStatus.PENDING,
                    lines__pledges__expires_at__gt=now,
                ),
            ),
            confirmed_count=Count(
                "lines__pledges", filter=Q(lines__pledges__status=PledgeStatus.CONFIRMED)
            ),
            claimed=Exists(Claim.objects.filter(listing=OuterRef("pk")).holding(now)),
        )
        .order_by("-published_at", "-pk")
    )
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "marketplace/staff/list.html",
        {"form": form, "page": page, "query": params.urlencode()},
    )


# --- One listing ------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    listing: Listing,
    *,
    bound: dict[str, Any] | None = None,
    bound_payment: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The staff page of a listing; *bound* holds a form that failed, to show with its input."""
    bound = bound or {}
    user = request.user
    now = timezone.now()
    manage = (
        staff_services.may_manage(user, listing) and listing.status in staff_services.CHANGEABLE
    )
    confirm = may_confirm_offline(user, listing)
    claims = list(
        Claim.objects.filter(listing=listing)
        .select_related("donor", "organisation")
        .order_by("-created_at", "-pk")
    )
    for c in claims:
        c.display_status = _display_status(c, now)
    pledges = list(
        Pledge.objects.filter(line__listing=listing)
        .select_related("donor", "organisation", "line")
        .order_by("-created_at", "-pk")
    )
    for p in pledges:
        p.display_status = _display_status(p, now)
        p.amount_label = amount_label(p.line.kind, p.quantity)
    payments = list(
        Payment.objects.filter(pledge__line__listing=listing)
        .select_related("pledge__donor", "receipt", "confirmed_by")
        .order_by("-created_at", "-pk")
    )
    for payment in payments:
        payment.confirm_form = None
        if confirm and _confirmable(payment):
            payment.confirm_form = (
                bound.get("confirm")
                if bound_payment == payment.pk
                else OfflineConfirmForm(payment_pk=payment.pk)
            )
    return render(
        request,
        "marketplace/staff/detail.html",
        {
            "listing": listing,
            "lines": _lines(listing, now),
            "claims": claims,
            "pledges": pledges,
            "payments": payments,
            "cancel_form": (bound.get("cancel") or CancelForm()) if manage else None,
            "extend_form": (
                bound.get("extend") or ExtendForm(initial={"deadline": listing.deadline})
            )
            if manage
            else None,
            **listing_money.context(user, listing, bound),
        },
        status=status,
    )


@require_GET
@login_required
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access_listing(request.user, pk))


def _manageable(request: HttpRequest, pk: int) -> Listing:
    listing = access_listing(request.user, pk)
    if not staff_services.may_manage(request.user, listing):
        raise Http404
    return listing


@require_POST
@login_required
def listing_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _manageable(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail(request, listing, bound={"cancel": form}, status=400)
    try:
        staff_services.listing_cancel(
            actor=request.user, listing=listing, reason=form.cleaned_data["reason"]
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _detail(request, listing, bound={"cancel": form}, status=error.status)
    messages.success(
        request,
        _(
            "The listing was cancelled. Claims were released, pending pledges cancelled, and received money is being refunded."
        ),
    )
    return redirect("marketplace:staff_detail", pk=listing.pk)


@require_POST
@login_required
def listing_extend(request: HttpRequest, pk: int) -> HttpResponse:
    listing = _manageable(request, pk)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        return _detail(request, listing, bound={"extend": form}, status=400)
    try:
        staff_services.listing_extend_deadline(
            actor=request.user, listing=listing, **form.cleaned_data
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _detail(request, listing, bound={"extend": form}, status=error.status)
    messages.success(
        request,
        _("The deadline is now %(date)s.") % {"date": form.cleaned_data["deadline"].isoformat()},
    )
    return redirect("marketplace:staff_detail", pk=listing.pk)


@require_POST
@login_required
def offline_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm that an offline payment (bank transfer, cash at a station) was received."""
    _require_staff(request)
    payment = (
        Payment.objects.filter(pk=pk, pledge__line__listing__in=staff_listings(request.user))
        .select_related("pledge__line__listing__community")
        .first()
    )
    if payment is None:
        raise Http404
    listing = access_listing(request.user, payment.pledge.line.listing_id)
    if not may_confirm_offline(request.user, listing) or payment.provider != OFFLINE_PROVIDER:
        raise Http404
    form = OfflineConfirmForm(request.POST, payment_pk=payment.pk)
    if not form.is_valid():
        return _detail(
            request, listing, bound={"confirm": form}, bound_payment=payment.pk, status=400
        )
    try:
        offline_confirm(
            actor=request.user, payment=payment, receipt_number=form.cleaned_data["receipt_number"]
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _detail(
            request, listing, bound={"confirm": form}, bound_payment=payment.pk, status=error.status
        )
    messages.success(request, _("The payment is confirmed as received."))
    return redirect("marketplace:staff_detail", pk=listing.pk)


urlpatterns = [
    path("staff/listings/", listing_list, name="staff_list"),
    path("staff/listings/<int:pk>/", listing_detail, name="staff_detail"),
    path("staff/listings/<int:pk>/cancel/", listing_cancel, name="staff_cancel"),
    path("staff/listings/<int:pk>/extend/", listing_extend, name="staff_extend"),
    path("staff/payments/<int:pk>/confirm/", offline_confirm_view, name="staff_offline_confirm"),
]
