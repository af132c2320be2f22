"""The station workspace and a listing's delivery page, for station staff.

Scoped to the communities where the user logs deliveries (``Perm.DELIVERY_LOG``): a
listing, delivery or photo elsewhere is a 404, never a 403; a user who logs deliveries
nowhere gets a 404 for every page. Every action's service checks the permission again.
Refused input answers 400 on the same page, with what was typed kept.
"""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import LinliError
from accounts.permissions import has_perm, has_perm_anywhere
from accounts.roles import Perm
from feedback.selectors import follow_ups_for
from marketplace.models import Listing, ListingStatus
from stations import selectors, services
from stations.forms import AttestForm, DeliveryForm, IntakeForm, PhotoForm, ShareForm
from volunteers.selectors import shifts_to_staff
from wishes.views.files import private_file_response

PAGE_SIZE = 20
SHIFT_DAYS = 7  # the workspace shows the shifts of the coming week
SHIFTS_SHOWN = 10
VISITS_SHOWN = 10
LOG_ID = "log_%s"
INTAKE_ID = "intake_%s"


def photo_id(delivery_pk: int) -> str:
    return f"photo{delivery_pk}_%s"


def attest_id(delivery_pk: int) -> str:
    return f"attest{delivery_pk}_%s"


def _require_station_staff(request: HttpRequest) -> None:
    if not has_perm_anywhere(request.user, Perm.DELIVERY_LOG):
        raise Http404


@require_GET
@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """What is due: listings to deliver and goods still to be dropped off, overdue first."""
    _require_station_staff(request)
    today = timezone.localdate()
    window = request.GET.get("when", "")
    window = window if window in selectors.WINDOWS else ""
    until = selectors.due_by(window, today)
    listings = Paginator(
        selectors.listings_to_deliver(request.user, due_by=until), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    goods = Paginator(selectors.goods_awaited(request.user, due_by=until), PAGE_SIZE).get_page(
        request.GET.get("goods_page")
    )
    for listing in listings:
        listing.due = selectors.due(listing.deadline, today)
    for pledge in goods:
        pledge.due = selectors.due(pledge.line.listing.deadline, today)
    # Service shifts to staff this week (or today), from the volunteers app.
    shifts = list(
        shifts_to_staff(user=request.user, start=today, end=until or today + timedelta(SHIFT_DAYS))[
            :SHIFTS_SHOWN
        ]
    )
    # Follow-up visits (回访) due in the window, most overdue first, from the feedback app.
    visits = follow_ups_for(request.user)
    if until is not None:
        visits = visits.filter(due_on__lte=until)
    visits = list(visits[:VISITS_SHOWN])
    for visit in visits:
        visit.due = selectors.due(visit.due_on, today)
    return render(
        request,
        "stations/workspace.html",
        {
            "listings": listings,
            "goods": goods,
            "shifts": shifts,
            "visits": visits,
            "today": today,
            "when": window,
        },
    )


def _page(
    request: HttpRequest,
    listing: Listing,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The delivery page of *listing*, with any bound (refused) form in place of a blank one."""
    bound = bound or {}
    lines = selectors.lines_with_delivered(listing)
    pledges = selectors.goods_pledges(listing)
    open_lines = [line for line in lines if line.remaining > 0]
    deliverable = listing.status in services.DELIVERABLE
    receiving = listing.status in services.RECEIVING
    deliveries = selectors.deliveries(listing)
    for delivery in deliveries:
        # Each delivery's own forms, with ids of their own; a refused one comes back bound.
        delivery.photo_form = (
            bound["photo"]
            if bound.get("photo_delivery") == delivery.pk
            else PhotoForm(auto_id=photo_id(delivery.pk))
        )
        delivery.attest_form = (
            bound["attest"]
            if bound.get("attest_delivery") == delivery.pk
            else AttestForm(auto_id=attest_id(delivery.pk))
        )
        delivery.form_open = delivery.pk in (
            bound.get("photo_delivery"),
            bound.get("attest_delivery"),
        )
    context = {
        "listing": listing,
        "lines": lines,
        "deliveries": deliveries,
        "pledges": pledges,
        "delivery_form": (
            bound.get("delivery", DeliveryForm(lines=open_lines, auto_id=LOG_ID))
            if deliverable and open_lines
            else None
        ),
        "intake_form": (
            bound.get("intake", IntakeForm(pledges=pledges, auto_id=INTAKE_ID))
            if receiving and pledges
            else None
        ),
        "share_error": bound.get("share_error"),
        "can_view_photos": has_perm(request.user, Perm.PRIVATE_VIEW, listing.community),
        "is_delivered": listing.status == ListingStatus.DELIVERED,
    }
    return render(request, "stations/listing_delivery.html", context, status=status)


@require_GET
@login_required
def listing_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.access_listing(request.user, pk))


@require_POST
@login_required
def delivery_log(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.access_listing(request.user, pk)
    lines = selectors.lines_with_delivered(listing)
    form = DeliveryForm(
        request.POST, lines=[line for line in lines if line.remaining > 0], auto_id=LOG_ID
    )
    if not form.is_valid():
        return _page(request, listing, bound={"delivery": form}, status=400)
    try:
        services.delivery_log(actor=request.user, **form.cleaned_data)
    except LinliError as error:
        form.add_error(None, str(error))
        return _page(request, listing, bound={"delivery": form}, status=error.status)
    messages.success(request, _("The delivery is logged. Add a photo as evidence."))
    return redirect("stations:listing_delivery", pk=listing.pk)


@require_POST
@login_required
def intake_record(request: HttpRequest, pk: int) -> HttpResponse:
    listing = selectors.access_listing(request.user, pk)
    form = IntakeForm(request.POST, pledges=selectors.goods_pledges(listing), auto_id=INTAKE_ID)
    if not form.is_valid():
        return _page(request, listing, bound={"intake": form}, status=400)
    try:
        services.goods_intake_record(actor=request.user, **form.cleaned_data)
    except LinliError as error:
        form.add_error(None, str(error))
        return _page(request, listing, bound={"intake": form}, status=error.status)
    messages.success(request, _("The goods are recorded; the donor is told."))
    return redirect("stations:listing_delivery", pk=listing.pk)


@require_POST
@login_required
def photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.access_delivery(request.user, pk)
    listing = delivery.listing
    form = PhotoForm(request.POST, request.FILES, auto_id=photo_id(delivery.pk))
    bound = {"photo": form, "photo_delivery": delivery.pk}
    if not form.is_valid():
        return _page(request, listing, bound=bound, status=400)
    try:
        services.delivery_photo_add(
            actor=request.user,
            delivery=delivery,
            upload=form.cleaned_data["photo"],
            description=form.cleaned_data["description"],
        )
    except LinliError as error:
        form.add_error("photo", str(error))
        return _page(request, listing, bound=bound, status=error.status)
    messages.success(request, _("The photo is added. Location and camera data were removed."))
    return redirect("stations:listing_delivery", pk=listing.pk)


@require_POST
@login_required
def delivery_attest(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = selectors.access_delivery(request.user, pk)
    form = AttestForm(request.POST, auto_id=attest_id(delivery.pk))
    bound = {"attest": form, "attest_delivery": delivery.pk}
    if not form.is_valid():
        return _page(request, delivery.listing, bound=bound, status=400)
    try:
        services.delivery_attest(
            actor=request.user, delivery=delivery, reason=form.cleaned_data["reason"]
        )
    except LinliError as error:
        form.add_error(None, str(error))
        return _page(request, delivery.listing, bound=bound, status=error.status)
    messages.success(request, _("Your attestation is recorded."))
    return redirect("stations:listing_delivery", pk=delivery.listing_id)


@require_POST
@login_required
def photo_share(request: HttpRequest, pk: int) -> HttpResponse:
    photo = selectors.access_managed_photo(request.user, pk)
    listing = photo.delivery.listing
    form = ShareForm(request.POST)
    form.is_valid()  # two optional check boxes: always valid
    try:
        services.delivery_photo_share(
            actor=request.user,
            photo=photo,
            shareable=form.cleaned_data["shareable"],
            no_personal_data=form.cleaned_data["no_personal_data"],
        )
    except LinliError as error:
        return _page(
            request, listing, bound={"share_error": (photo.pk, str(error))}, status=error.status
        )
    messages.success(request, _("The photo's sharing is updated."))
    return redirect("stations:listing_delivery", pk=listing.pk)


@require_GET
@login_required
def photo(request: HttpRequest, token: str) -> FileResponse:
    """Stream one delivery photo to a user allowed to see it (audited); 404 for anyone else."""
    return private_file_response(selectors.access_photo(request.user, token))
