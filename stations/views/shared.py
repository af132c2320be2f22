"""What donors and sponsors see of a delivery: the outcome and the photos staff shared.

Only for the listing's donors (a confirmed pledge) and sponsors (admins of an organisation
whose fund matched a confirmed gift to it), see :mod:`feedback.impact`. Anyone else, and
any photo not marked shareable, gets a 404. Every photo view is audited.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import audit
from feedback.impact import may_see_impact
from feedback.selectors import listing_outcome
from marketplace.models import Listing
from stations.models import DeliveryPhoto
from wishes.views.files import private_file_response


def shared_photos(listing: Listing) -> list[DeliveryPhoto]:
    """The listing's shareable photos, oldest first (one query)."""
    return list(
        DeliveryPhoto.objects.filter(delivery__listing=listing, shareable=True).order_by(
            "created_at", "pk"
        )
    )


@require_GET
@login_required
def impact(request: HttpRequest, pk: int) -> HttpResponse:
    """The outcome of a listing the user gave to or sponsored, with its shared photos."""
    listing = Listing.objects.select_related("community").filter(pk=pk).first()
    if listing is None or not may_see_impact(request.user, listing):
        raise Http404
    return render(
        request,
        "stations/shared_impact.html",
        {"listing": listing, "outcome": listing_outcome(listing), "photos": shared_photos(listing)},
    )


@require_GET
@login_required
def shared_photo(request: HttpRequest, token: str) -> FileResponse:
    """Stream a shareable photo to a donor or sponsor of its listing (audited); else 404."""
    item = (
        DeliveryPhoto.objects.select_related("delivery__listing__community")
        .filter(token=token, shareable=True)
        .first()
    )
    if item is None or not may_see_impact(request.user, item.delivery.listing):
        raise Http404
    response = private_file_response(item)  # 404 if the file is gone: nothing was seen
    audit.record(
        actor=request.user,
        verb="delivery_photo.shared_view",
        target=item,
        region=item.delivery.listing.community,
        data={"delivery": item.delivery_id},
    )
    return response
