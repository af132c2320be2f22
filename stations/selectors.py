"""Reads of the station workspace and a listing's delivery page, each a fixed number of
queries however many rows there are.

A station worker's area is where they hold ``Perm.DELIVERY_LOG``: listings and photos
elsewhere are a 404.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts import audit
from accounts.models import User
from accounts.permissions import has_perm, region_q
from accounts.roles import Perm
from marketplace.models import LineKind, Listing, ListingLine, Pledge, PledgeStatus
from stations.models import Delivery, DeliveryPhoto, GoodsIntake
from stations.services import DELIVERABLE, RECEIVING

ZERO = Decimal("0.00")


def _deadline_order() -> list:
    """Overdue first, then by deadline; listings without one last."""
    return [F("deadline").asc(nulls_last=True), "pk"]


def listings_to_deliver(user: User, *, due_by: date | None = None) -> QuerySet[Listing]:
    """Fully pledged and in-delivery listings where *user* logs deliveries, soonest first
    (only those due by *due_by*, overdue included, if given)."""
    listings = (
        Listing.objects.filter(region_q(user, Perm.DELIVERY_LOG, field="community"))
        .filter(status__in=DELIVERABLE)
        .select_related("community", "station")
        .order_by(*_deadline_order())
    )
    return listings.filter(deadline__lte=due_by) if due_by else listings


def goods_awaited(user: User, *, due_by: date | None = None) -> QuerySet[Pledge]:
    """Confirmed goods pledges in *user*'s area that no intake has recorded yet."""
    pledges = (
        Pledge.objects.filter(
            region_q(user, Perm.DELIVERY_LOG, field="line__listing__community"),
            status=PledgeStatus.CONFIRMED,
            line__kind=LineKind.GOODS,
            line__listing__status__in=RECEIVING,
        )
        .filter(~Exists(GoodsIntake.objects.filter(pledge=OuterRef("pk"))))
        .select_related("line__listing", "donor", "organisation")
        .order_by(F("line__listing__deadline").asc(nulls_last=True), "pk")
    )
    return pledges.filter(line__listing__deadline__lte=due_by) if due_by else pledges


@dataclass(frozen=True)
class Due:
    """How urgent a deadline is, for the badge beside it."""

    overdue: bool
    today: bool
    this_week: bool


WINDOWS = {"today": 0, "week": 7}


def due_by(window: str | None, today: date | None = None) -> date | None:
    """The last deadline a workspace window shows ("today", "week"); None shows all."""
    if window not in WINDOWS:
        return None
    return (today or timezone.localdate()) + timedelta(WINDOWS[window])


def due(deadline: date | None, today: date | None = None) -> Due:
    today = today or timezone.localdate()
    if deadline is None:
        return Due(False, False, False)
    return Due(deadline < today, deadline == today, today <= deadline <= today + timedelta(7))


def access_listing(user: User, pk: int) -> Listing:
    """A listing where *user* logs deliveries. Raises Http404 elsewhere (or none such)."""
    listing = (
        Listing.objects.filter(region_q(user, Perm.DELIVERY_LOG, field="community"))
        .select_related("community", "station")
        .filter(pk=pk)
        .first()
    )
    if listing is None:
        raise Http404
    return listing


def lines_with_delivered(listing: Listing) -> list[ListingLine]:
    """The listing's lines, each with ``delivered`` and ``remaining`` (one query)."""
    lines = list(
        ListingLine.objects.filter(listing=listing)
        .annotate(
            delivered=Coalesce(
                Sum("deliveries__quantity"),
                Value(ZERO),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
        .order_by("pk")
    )
    for line in lines:
        line.remaining = max(line.target - line.delivered, ZERO)
    return lines


def deliveries(listing: Listing) -> list[Delivery]:
    """The listing's deliveries with who logged them and their photos (two queries)."""
    return list(
        Delivery.objects.filter(listing=listing)
        .select_related("line", "delivered_by", "attested_by", "station")
        .prefetch_related(
            Prefetch("photos", queryset=DeliveryPhoto.objects.order_by("created_at", "pk"))
        )
        .order_by("-delivered_at", "-pk")
    )


def goods_pledges(listing: Listing) -> list[Pledge]:
    """The listing's goods pledges that are or may become confirmed, with their intakes."""
    return list(
        Pledge.objects.filter(line__listing=listing, line__kind=LineKind.GOODS)
        .filter(status__in=[PledgeStatus.PENDING, PledgeStatus.CONFIRMED])
        .select_related("line", "donor", "organisation")
        .prefetch_related(
            Prefetch(
                "intakes",
                queryset=GoodsIntake.objects.select_related("received_by").order_by(
                    "received_at", "pk"
                ),
            )
        )
        .annotate(
            awaited=Case(
                When(status=PledgeStatus.CONFIRMED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("awaited", "pk")
    )


def access_photo(user: User, token: str) -> DeliveryPhoto:
    """A delivery photo, for a user who may see private data in its listing's community.
    Every view is audited.

    Raises:
        Http404: no such photo, or not for this user.
    """
    photo = (
        DeliveryPhoto.objects.select_related("delivery__listing__community")
        .filter(token=token)
        .first()
    )
    if photo is None:
        raise Http404
    community = photo.delivery.listing.community
    if not has_perm(user, Perm.PRIVATE_VIEW, community):
        raise Http404
    audit.record(
        actor=user,
        verb="delivery_photo.view",
        target=photo,
        region=community,
        data={"delivery": photo.delivery_id},
    )
    return photo


def access_delivery(user: User, pk: int) -> Delivery:
    """A delivery whose listing lies where *user* logs deliveries. Raises Http404."""
    delivery = (
        Delivery.objects.filter(region_q(user, Perm.DELIVERY_LOG, field="listing__community"))
        .select_related("listing__community", "listing__station")
        .filter(pk=pk)
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


def access_managed_photo(user: User, pk: int) -> DeliveryPhoto:
    """A photo whose listing lies where *user* logs deliveries (to share it). Http404."""
    photo = (
        DeliveryPhoto.objects.filter(
            region_q(user, Perm.DELIVERY_LOG, field="delivery__listing__community")
        )
        .select_related("delivery__listing__community")
        .filter(pk=pk)
        .first()
    )
    if photo is None:
        raise Http404
    return photo
