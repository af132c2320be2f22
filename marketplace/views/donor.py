"""The donor's pages: claim a listing whole, pledge part of a line, pay, and follow it all.

Views parse input, call a service, render. A domain error is shown on the page it came
from with its own status (409 taken, 429 too often, 400 bad input), never as a 500. The
donor's own pledges, claims and receipts are fetched by owner: another donor's is a 404.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import Conflict, LinliError
from accounts.models import User
from accounts.money import format_cny
from marketplace import ratelimit, services
from marketplace.exceptions import BelowMinimum, WouldBeClipped
from marketplace.forms_donor import ClaimForm, PaymentForm, PledgeForm
from marketplace.models import (
    Claim,
    ClaimStatus,
    LineKind,
    Listing,
    ListingLine,
    Match,
    Payment,
    PaymentStatus,
    Pledge,
    PledgeStatus,
    Receipt,
)
from marketplace.payments import base as payments
from marketplace.payments.services import payment_start

PAGE_SIZE = 20


class NotPayable(Conflict):
    code = "not_payable"
    message = gettext_lazy("This pledge is no longer waiting for payment.")


def amount_label(kind: str, quantity: Decimal) -> str:
    """¥1,200.00 for money; 3 (items) or 2.5 (hours) otherwise."""
    if kind == LineKind.MONEY:
        return format_cny(quantity)
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- Reads ------------------------------------------------------------------------------


def _listing(reference: str) -> Listing:
    """A listing the public can see. Raises Http404 otherwise."""
    listing = (
        Listing.objects.visible()
        .filter(reference=reference)
        .select_related("community", "station")
        .first()
    )
    if listing is None:
        raise Http404
    return listing


def _lines(listing: Listing, now) -> list[ListingLine]:
    """The listing's lines with what is still free on each (one query; a display figure)."""
    lines = list(
        ListingLine.objects.filter(listing=listing)
        .annotate(
            reserved=Sum(
                "pledges__quantity",
                filter=Q(pledges__status=PledgeStatus.PENDING, pledges__expires_at__gt=now),
                default=Decimal("0"),
            )
        )
        .order_by("pk")
    )
    for line in lines:
        line.remaining = max(line.target - line.confirmed - line.reserved, Decimal(0))
        line.remaining_label = amount_label(line.kind, line.remaining)
        line.target_label = amount_label(line.kind, line.target)
    return lines


def access_own_pledge(user: User, pk: int) -> Pledge:
    """The user's own pledge. Raises Http404 for anyone else's."""
    pledge = (
        Pledge.objects.filter(pk=pk, donor=user)
        .select_related("line__listing__station", "organisation")
        .first()
    )
    if pledge is None:
        raise Http404
    return pledge


def access_own_claim(user: User, pk: int) -> Claim:
    claim = Claim.objects.filter(pk=pk, donor=user).select_related("listing").first()
    if claim is None:
        raise Http404
    return claim


def _display_status(obj, now) -> str:
    """The status a reader should see: a lapsed reservation reads as expired at once."""
    if obj.status in (PledgeStatus.PENDING, ClaimStatus.ACTIVE) and obj.expires_at <= now:
        return "expired"
    return obj.status


# --- Claiming ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def claim(request: HttpRequest, reference: str) -> HttpResponse:
    """Claim a listing whole (认领). GET asks to confirm; POST claims."""
    listing = _listing(reference)
    form = ClaimForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ratelimit.check(request)
                claimed = services.claim_create(
                    donor=request.user, listing=listing, **form.cleaned_data
                )
            except LinliError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                messages.success(
                    request,
                    _(
                        "You have claimed this need. Please make your commitments by "
                        "%(date)s: pledge each line below."
                    )
                    % {"date": timezone.localtime(claimed.expires_at).strftime("%Y-%m-%d %H:%M")},
                )
                return redirect("marketplace:pledge", reference=listing.reference)
        else:
            status = 400
    return render(
        request,
        "marketplace/donor/claim.html",
        {"listing": listing, "form": form, "claim_days": settings.CLAIM_DAYS},
        status=status,
    )


# --- Pledging ---------------------------------------------------------------------------


def _pledge_page(
    request: HttpRequest,
    listing: Listing,
    lines: list[ListingLine],
    form: PledgeForm,
    *,
    clip: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    holding = Claim.objects.filter(listing=listing).holding(now).first()
    return render(
        request,
        "marketplace/donor/pledge.html",
        {
            "listing": listing,
            "lines": lines,
            "form": form,
            "clip": clip,
            "my_claim": holding if holding and holding.donor_id == request.user.pk else None,
            "claimed_by_other": bool(holding and holding.donor_id != request.user.pk),
            "min_pledge": settings.PLEDGE_MINIMUM_YUAN,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def pledge(request: HttpRequest, reference: str) -> HttpResponse:
    """Pledge part (or all) of one line. An amount above what remains is clipped only after
    the donor confirms it; a money pledge then goes on to payment."""
    listing = _listing(reference)
    lines = _lines(listing, timezone.now())
    if request.method != "POST":
        initial = {}
        if request.GET.get("line", "").isdigit():
            initial["line"] = int(request.GET["line"])
        form = PledgeForm(lines=lines, user=request.user, initial=initial)
        return _pledge_page(request, listing, lines, form)
    form = PledgeForm(request.POST, lines=lines, user=request.user)
    if not form.is_valid():
        return _pledge_page(request, listing, lines, form, status=400)
    data = form.cleaned_data
    try:
        ratelimit.check(request)
        made = services.pledge_create(
            donor=request.user,
            line=data["line"],
            quantity=data["quantity"],
            organisation=data.get("organisation"),
            anonymous=data["anonymous"],
            accept_clipped=data["accept_clipped"],
        )
    except WouldBeClipped as error:
        remaining = error.params["remaining"]
        clip = {"remaining": remaining, "label": amount_label(data["line"].kind, remaining)}
        return _pledge_page(request, listing, lines, form, clip=clip)
    except BelowMinimum as error:
        form.add_error("quantity", str(error))
        return _pledge_page(request, listing, lines, form, status=error.status)
    except LinliError as error:
        form.add_error(None, str(error))
        return _pledge_page(request, listing, lines, form, status=error.status)
    if made.quantity < data["quantity"]:
        messages.info(
            request,
            _("Your pledge was reduced to %(amount)s, what was still needed.")
            % {"amount": amount_label(data["line"].kind, made.quantity)},
        )
    if data["line"].kind == LineKind.MONEY:
        for match in Match.objects.filter(pledge=made).select_related("campaign"):
            messages.success(
                request,
                _("%(campaign)s adds %(amount)s to your gift if you pay by %(time)s.")
                % {
                    "campaign": match.campaign.name,
                    "amount": format_cny(match.amount),
                    "time": timezone.localtime(match.expires_at).strftime("%H:%M"),
                },
            )
        return redirect("marketplace:pledge_pay", pk=made.pk)
    messages.success(
        request,
        _("Thank you. Your pledge %(reference)s is recorded.") % {"reference": made.reference},
    )
    return redirect("marketplace:pledge_detail", pk=made.pk)


def _payable(pledge: Pledge) -> bool:
    return (
        pledge.line.kind == LineKind.MONEY
        and pledge.status == PledgeStatus.PENDING
        and pledge.expires_at > timezone.now()
    )


@require_http_methods(["GET", "POST"])
@login_required
def pledge_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose how to pay a pending money pledge; go to the provider or read its instructions."""
    pledge = access_own_pledge(request.user, pk)
    if not _payable(pledge):
        raise NotPayable()
    providers = payments.enabled()
    form = PaymentForm(request.POST if request.method == "POST" else None, providers=providers)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            provider = payments.get(form.cleaned_data["provider"])
            try:
                payment = payment_start(pledge=pledge, provider_id=provider.identifier)
                result = provider.start(payment, request=request)
            except LinliError as error:
                form.add_error(None, str(error))
                status = error.status
            else:
                if result.redirect_url:
                    return redirect(result.redirect_url)
                return render(
                    request,
                    "marketplace/donor/pay_instructions.html",
                    {"pledge": pledge, "payment": payment, "result": result, "provider": provider},
                )
    return render(
        request,
        "marketplace/donor/pay.html",
        {
            "pledge": pledge,
            "amount": format_cny(pledge.quantity),
            "form": form,
            "providers": providers,
        },
        status=status,
    )


@require_GET
@login_required
def pledge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One pledge of the donor's: its status, payments and what happens next."""
    pledge = access_own_pledge(request.user, pk)
    now = timezone.now()
    listing = pledge.line.listing
    outcome, photos = None, []
    delivered = ("delivered", "closed")  # ListingStatus.DELIVERED, ListingStatus.CLOSED
    if pledge.status == PledgeStatus.CONFIRMED and listing.status in delivered:
        # The donor's impact: delivered date, rating and the photos staff shared (3 queries).
        # Imported here: the marketplace never depends on the apps after it at import time.
        from feedback.selectors import listing_outcome
        from stations.views.shared import shared_photos

        outcome, photos = listing_outcome(listing), shared_photos(listing)
    return render(
        request,
        "marketplace/donor/pledge_detail.html",
        {
            "outcome": outcome,
            "photos": photos,
            "pledge": pledge,
            "status": _display_status(pledge, now),
            "amount": amount_label(pledge.line.kind, pledge.quantity),
            "payments": list(pledge.payments.select_related("receipt").order_by("created_at")),
            "matches": list(
                pledge.matches.select_related("campaign").order_by("campaign__name", "pk")
            ),
            "payable": _payable(pledge),
        },
    )


# --- The donor's giving -----------------------------------------------------------------


@require_GET
@login_required
def giving(request: HttpRequest) -> HttpResponse:
    """Everything the donor has claimed and pledged, with statuses and receipts."""
    now = timezone.now()
    claims = list(
        Claim.objects.filter(donor=request.user)
        .select_related("listing", "organisation")
        .order_by("-created_at", "-pk")
    )
    for c in claims:
        c.display_status = _display_status(c, now)
    pledges = (
        Pledge.objects.filter(donor=request.user)
        .select_related("line__listing", "organisation")
        .prefetch_related(
            Prefetch(
                "payments",
                queryset=Payment.objects.select_related("receipt").order_by("created_at", "pk"),
            )
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(pledges, PAGE_SIZE).get_page(request.GET.get("page"))
    for p in page:
        p.display_status = _display_status(p, now)
        p.amount_label = amount_label(p.line.kind, p.quantity)
        p.receipts = [pay.receipt for pay in p.payments.all() if hasattr(pay, "receipt")]
        p.payable = (
            p.line.kind == LineKind.MONEY
            and p.display_status == PledgeStatus.PENDING
            and not any(pay.status == PaymentStatus.SUCCEEDED for pay in p.payments.all())
        )
    return render(
        request,
        "marketplace/donor/giving.html",
        {"claims": claims, "page": page, "now": now},
    )


@require_POST
@login_required
def pledge_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    pledge = access_own_pledge(request.user, pk)
    if pledge.status == PledgeStatus.PENDING:
        services.pledge_cancel(actor=request.user, pledge=pledge)
        messages.success(
            request, _("Your pledge %(reference)s was cancelled.") % {"reference": pledge.reference}
        )
    return redirect("marketplace:giving")


@require_POST
@login_required
def claim_release(request: HttpRequest, pk: int) -> HttpResponse:
    claim_ = access_own_claim(request.user, pk)
    if claim_.status == ClaimStatus.ACTIVE:
        services.claim_release(actor=request.user, claim=claim_)
        messages.success(
            request,
            _("You released your claim on %(reference)s; others may now give to it.")
            % {"reference": claim_.listing.reference},
        )
    return redirect("marketplace:giving")


@require_GET
@login_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    """A printable receipt for money received; the donor's own only."""
    found = (
        Receipt.objects.filter(number=number, payment__pledge__donor=request.user)
        .select_related("payment__pledge__line__listing", "payment__pledge__organisation")
        .first()
    )
    if found is None:
        raise Http404
    response = render(
        request,
        "marketplace/donor/receipt.html",
        {
            "receipt": found,
            "payment": found.payment,
            "pledge": found.payment.pledge,
            "amount": format_cny(found.payment.amount),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("give/<str:reference>/claim/", claim, name="claim"),
    path("give/<str:reference>/pledge/", pledge, name="pledge"),
    path("me/giving/", giving, name="giving"),
    path("me/giving/pledges/<int:pk>/", pledge_detail, name="pledge_detail"),
    path("me/giving/pledges/<int:pk>/pay/", pledge_pay, name="pledge_pay"),
    path("me/giving/pledges/<int:pk>/cancel/", pledge_cancel, name="pledge_cancel"),
    path("me/giving/claims/<int:pk>/release/", claim_release, name="claim_release"),
    path("me/giving/receipts/<str:number>/", receipt, name="receipt"),
]
