"""Write operations at a station: goods intake, the delivery log, and its evidence.

Each service checks ``Perm.DELIVERY_LOG`` in the listing's community itself (a call from the
shell or a task is as safe as one from a view), runs in one transaction, locks rows in the
marketplace's one order (listing, then its lines ordered by pk, then a pledge), re-checks
after locking, and writes an audit entry without personal data. Donors are told after the
commit, by a Celery task.
"""

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts import audit
from accounts.errors import NotPermitted
from accounts.models import Station, User
from accounts.permissions import has_perm
from accounts.roles import Perm
from marketplace import services as marketplace
from marketplace import staff_services
from marketplace.models import (
    LineKind,
    Listing,
    ListingKind,
    ListingLine,
    ListingStatus,
    Pledge,
    PledgeStatus,
)
from stations import photos
from stations.exceptions import (
    AlreadyAttested,
    AttestationReasonRequired,
    DiscrepancyRequired,
    NoPersonalDataUnconfirmed,
    NoStationForListing,
    NotDeliverable,
    NoteRequired,
    NotGoods,
    OverDelivery,
    PledgeNotActive,
    TooManyPhotos,
)
from stations.models import Condition, Delivery, DeliveryPhoto, GoodsIntake
from wishes.attachments import file_first
from wishes.exceptions import NoStation
from wishes.models import AidSource, Household, Wish

DELIVERABLE = (ListingStatus.FULLY_PLEDGED, ListingStatus.IN_DELIVERY)
# Goods may arrive while donors are still giving, and until the hand-over.
RECEIVING = (ListingStatus.OPEN, ListingStatus.FULLY_PLEDGED, ListingStatus.IN_DELIVERY)
MAX_PHOTOS_PER_DELIVERY = 10


def may_log(user: User, listing: Listing) -> bool:
    """May *user* log deliveries and receive goods for *listing* (its community's staff)?"""
    return has_perm(user, Perm.DELIVERY_LOG, listing.community)


def _require(actor: User, listing: Listing) -> None:
    if not may_log(actor, listing):
        raise NotPermitted()


def _station(listing: Listing) -> Station:
    """The station that serves *listing*: its own, else the one that takes its community's
    wishes."""
    if listing.station_id is not None and listing.station.is_active:
        return listing.station
    from wishes.services import station_for

    try:
        return station_for(listing.community)
    except NoStation as exc:
        raise NoStationForListing() from exc


def _lock_listing(listing_id: int) -> tuple[Listing, list[ListingLine]]:
    """Lock a listing's row, then its lines in pk order (the marketplace's lock order)."""
    listing = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("community", "station")
        .get(pk=listing_id)
    )
    lines = list(ListingLine.objects.filter(listing=listing).order_by("pk").select_for_update())
    return listing, lines


def delivered_by_line(listing: Listing) -> dict[int, Decimal]:
    """How much of each line of *listing* has been delivered (exact under the line locks)."""
    rows = (
        Delivery.objects.filter(listing=listing)
        .values("line_id")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return {row["line_id"]: row["total"] for row in rows}


# --- Goods intake ------------------------------------------------------------------------


def goods_intake_record(
    *,
    actor: User,
    pledge: Pledge,
    item: str,
    quantity: Decimal,
    condition: str,
    discrepancy: str = "",
    received_at: datetime | None = None,
) -> GoodsIntake:
    """Record goods a donor dropped off against their goods pledge; the donor is told.

    A pending pledge is confirmed by the drop-off (the goods are here). A quantity other
    than what is still to come of the pledge, or damaged goods, need a note of the
    discrepancy.

    Raises:
        NotPermitted: may not log deliveries in the listing's community.
        NotGoods: not a goods pledge.
        PledgeNotActive: the pledge was cancelled, refunded or could not be honoured, or the
            listing no longer takes goods.
        DiscrepancyRequired: the quantity differs or the goods are damaged, without a note.
    """
    listing = Listing.objects.select_related("community", "station").get(pk=pledge.line.listing_id)
    _require(actor, listing)
    item = (item or "").strip()
    discrepancy = (discrepancy or "").strip()
    if condition not in Condition.values:
        raise ValueError(f"Unknown condition {condition!r}")
    with transaction.atomic():
        listing, lines = _lock_listing(listing.pk)
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        line = next(line for line in lines if line.pk == pledge.line_id)
        if line.kind != LineKind.GOODS:
            raise NotGoods()
        if listing.status not in RECEIVING:
            raise PledgeNotActive()
        # Several drop-offs may make up one pledge: compare with what is still to come.
        received = GoodsIntake.objects.filter(pledge=pledge).aggregate(total=Sum("quantity"))
        expected = pledge.quantity - (received["total"] or Decimal(0))
        if (quantity != expected or condition == Condition.DAMAGED) and not discrepancy:
            raise DiscrepancyRequired()
        if pledge.status == PledgeStatus.PENDING or pledge.status == PledgeStatus.EXPIRED:
            # Goods in hand confirm the pledge, if the line still has room for it.
            if not marketplace.pledge_confirm(pledge=pledge, actor=actor):
                raise PledgeNotActive()
            pledge.refresh_from_db()
        if pledge.status != PledgeStatus.CONFIRMED:
            raise PledgeNotActive()
        intake = GoodsIntake.objects.create(
            pledge=pledge,
            station=_station(listing),
            item=item or line.description,
            quantity=quantity,
            condition=condition,
            discrepancy=discrepancy,
            received_by=actor,
            received_at=received_at or timezone.now(),
        )
        audit.record(
            actor=actor,
            verb="goods.intake",
            target=intake,
            region=listing.community,
            reason=discrepancy,
            data={
                "pledge": pledge.pk,
                "listing": listing.pk,
                "quantity": str(quantity),
                "condition": condition,
            },
        )
        from stations.tasks import intake_notify_donor  # tasks import services: import late

        intake_notify_donor.delay_on_commit(intake.pk)
    return intake


# --- The delivery log ----------------------------------------------------------------------


def _wish_type_id() -> int:
    return ContentType.objects.get_for_model(Wish).pk  # cached per process


def _recipient(listing: Listing) -> tuple[Wish | None, Household | None]:
    """The wish behind a wish listing and its household (private; never shown publicly)."""
    if listing.kind != ListingKind.WISH or listing.source_type_id != _wish_type_id():
        return None, None
    wish = (
        Wish.objects.select_related("household", "station__community")
        .filter(pk=listing.source_id)
        .first()
    )
    return (wish, wish.household) if wish is not None else (None, None)


def delivery_log(
    *,
    actor: User,
    line: ListingLine,
    quantity: Decimal,
    note: str,
    delivered_at: datetime | None = None,
    attestation_reason: str = "",
) -> Delivery:
    """Log what was handed over or done for one line; partial deliveries add up.

    The first delivery moves a fully pledged listing into delivery; when every line is
    delivered in full the listing becomes delivered (``staff_services.listing_delivered``)
    and, for a wish, the aid is recorded on the household so its other open wishes are
    re-scored (``wishes.services.aid_record``).

    Raises:
        NotPermitted: may not log deliveries in the listing's community.
        NoteRequired: nothing said of what was handed over or done.
        NotDeliverable: the listing is not fully pledged or in delivery.
        OverDelivery: more than what remains of the line's target.
        NoStationForListing: no open station serves the listing's community.
    """
    listing = Listing.objects.select_related("community").get(pk=line.listing_id)
    _require(actor, listing)
    note = (note or "").strip()
    if not note:
        raise NoteRequired()
    attestation_reason = (attestation_reason or "").strip()
    now = timezone.now()
    with transaction.atomic():
        listing, lines = _lock_listing(listing.pk)
        line = next(item for item in lines if item.pk == line.pk)
        if listing.status not in DELIVERABLE:
            raise NotDeliverable()
        delivered = delivered_by_line(listing)
        remaining = line.target - delivered.get(line.pk, Decimal(0))
        if quantity <= 0 or quantity > remaining:
            raise OverDelivery(remaining=max(remaining, Decimal(0)))
        wish, household = _recipient(listing)
        delivery = Delivery.objects.create(
            listing=listing,
            line=line,
            quantity=quantity,
            delivered_at=delivered_at or now,
            delivered_by=actor,
            station=_station(listing),
            note=note,
            household=household,
            attested_by=actor if attestation_reason else None,
            attestation_reason=attestation_reason,
            attested_at=now if attestation_reason else None,
        )
        audit.record(
            actor=actor,
            verb="delivery.log",
            target=delivery,
            region=listing.community,
            reason=attestation_reason,
            data={
                "listing": listing.pk,
                "line": line.pk,
                "quantity": str(quantity),
                "attested": bool(attestation_reason),
            },
        )
        if listing.status == ListingStatus.FULLY_PLEDGED:
            listing.status = ListingStatus.IN_DELIVERY
            listing.save(update_fields=["status"])
            audit.record(
                actor=actor,
                verb="listing.in_delivery",
                target=listing,
                region=listing.community,
                data={"from": ListingStatus.FULLY_PLEDGED},
            )
        delivered[line.pk] = delivered.get(line.pk, Decimal(0)) + quantity
        if all(delivered.get(item.pk, Decimal(0)) >= item.target for item in lines):
            # In memory only: what the recipient was sent (its one-time token included), for
            # the demo's stand-in recipient; nothing else reads it.
            delivery.recipient_asked = _complete(
                actor=actor, listing=listing, lines=lines, wish=wish, note=note
            )
    return delivery


def _complete(
    *, actor: User, listing: Listing, lines: list[ListingLine], wish: Wish | None, note: str
):
    """Every line is delivered: the listing is delivered, its wish resolved, the
    household's aid recorded and the recipient asked to confirm and rate (the link or
    follow-up visit is returned; None for a listing without a recipient on record).

    Caller holds the listing's and its lines' locks.
    """
    from wishes.services import aid_record, wish_delivered

    staff_services.listing_delivered(actor=actor, listing=listing, note=note)
    if wish is None:
        return None
    wish_delivered(actor=actor, wish=wish, listing_reference=listing.reference)
    asked = _ask_the_recipient(actor=actor, listing=listing)
    # Money is what the need index weighs; goods and service have no agreed yuan value.
    value = sum((line.target for line in lines if line.kind == LineKind.MONEY), Decimal("0.00"))
    aid_record(
        actor=actor,
        household=wish.household,
        received_on=timezone.localdate(),
        value=value,
        source=AidSource.LINLI,
        description=f"{listing.reference} {listing.title}"[:200],
        wish=wish,
    )
    return asked


def _ask_the_recipient(*, actor: User, listing: Listing):
    """The recipient is asked to confirm and rate: by SMS, else by email, else (nothing on
    record) by a follow-up visit the station makes. The message leaves after the commit."""
    from feedback import services as feedback
    from feedback.exceptions import NoContact
    from feedback.models import LinkChannel

    for channel in (LinkChannel.SMS, LinkChannel.EMAIL):
        try:
            return feedback.confirmation_request(listing=listing, actor=actor, channel=channel)
        except NoContact:
            continue
    return feedback.follow_up_request(listing=listing, actor=actor)


def delivery_attest(*, actor: User, delivery: Delivery, reason: str) -> Delivery:
    """Staff attest a delivery when the recipient cannot confirm it (bedridden, cannot
    read, no phone), with the reason.

    Raises:
        NotPermitted: may not log deliveries in the listing's community.
        AttestationReasonRequired: no reason given.
        AlreadyAttested: someone attested it already.
    """
    listing = Listing.objects.select_related("community").get(pk=delivery.listing_id)
    _require(actor, listing)
    reason = (reason or "").strip()
    if not reason:
        raise AttestationReasonRequired()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.attested_by_id is not None:
            raise AlreadyAttested()
        delivery.attested_by = actor
        delivery.attestation_reason = reason[:500]
        delivery.attested_at = timezone.now()
        delivery.save(update_fields=["attested_by", "attestation_reason", "attested_at"])
        audit.record(
            actor=actor,
            verb="delivery.attest",
            target=delivery,
            region=listing.community,
            reason=reason,
            data={"listing": listing.pk},
        )
    return delivery


# --- Photo evidence ------------------------------------------------------------------------


def delivery_photo_add(
    *, actor: User, delivery: Delivery, upload: UploadedFile, description: str = ""
) -> DeliveryPhoto:
    """Store a photo of a delivery, re-encoded without EXIF or GPS, under a random name.

    Raises:
        NotPermitted: may not log deliveries in the listing's community.
        InvalidAttachment: too large, empty, or not a photo.
        TooManyPhotos: the delivery has its maximum already.
    """
    listing = Listing.objects.select_related("community").get(pk=delivery.listing_id)
    _require(actor, listing)
    if delivery.photos.count() >= MAX_PHOTOS_PER_DELIVERY:
        raise TooManyPhotos(count=MAX_PHOTOS_PER_DELIVERY)
    clean = photos.clean_upload(upload, limit=settings.WISH_ATTACHMENT_MAX_BYTES)
    photo = DeliveryPhoto(
        delivery=delivery,
        token=secrets.token_hex(16),
        extension=clean.extension,
        content_type=clean.content_type,
        size=len(clean.content),
        description=(description or "").strip()[:120],
        uploaded_by=actor,
    )
    with file_first(photo, clean.content), transaction.atomic():
        photo.save()
        audit.record(
            actor=actor,
            verb="delivery_photo.add",
            target=photo,
            region=listing.community,
            data={"delivery": delivery.pk, "size": photo.size},
        )
    return photo


def delivery_photo_share(
    *, actor: User, photo: DeliveryPhoto, shareable: bool, no_personal_data: bool = False
) -> DeliveryPhoto:
    """Mark a photo shareable for donors' impact reports (or take that back).

    Sharing needs the actor's confirmation that the photo shows no personal data.
    Idempotent.

    Raises:
        NotPermitted: may not log deliveries in the listing's community.
        NoPersonalDataUnconfirmed: sharing without that confirmation.
    """
    listing = Listing.objects.select_related("community").get(pk=photo.delivery.listing_id)
    _require(actor, listing)
    if shareable and not no_personal_data:
        raise NoPersonalDataUnconfirmed()
    with transaction.atomic():
        photo = DeliveryPhoto.objects.select_for_update().get(pk=photo.pk)
        if photo.shareable == shareable:
            return photo
        photo.shareable = shareable
        photo.shared_by = actor if shareable else None
        photo.shared_at = timezone.now() if shareable else None
        photo.save(update_fields=["shareable", "shared_by", "shared_at"])
        audit.record(
            actor=actor,
            verb="delivery_photo.share" if shareable else "delivery_photo.unshare",
            target=photo,
            region=listing.community,
            data={"delivery": photo.delivery_id},
        )
    return photo
