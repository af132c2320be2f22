"""Publishing, claiming and pledging: the write operations on listings.

Scarce capacity is changed only under a row lock, taken late, in one order (listing, then
line, then pledge), and re-checked after locking; database constraints are the last line.
A repeated call is a harmless no-op wherever a double click or a retried task can repeat it.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from accounts import audit
from accounts.models import Membership, Organisation, Region, Station, User
from accounts.money import money
from marketplace import ledger, matching
from marketplace.exceptions import (
    AlreadyClaimed,
    BelowMinimum,
    FullyPledged,
    NotAMember,
    NotOpen,
    PartlyPledged,
    TooManyOpenPledges,
    WouldBeClipped,
)
from marketplace.models import (
    Claim,
    ClaimStatus,
    LineKind,
    Listing,
    ListingLine,
    ListingStatus,
    Match,
    MatchStatus,
    Pledge,
    PledgeStatus,
)


@dataclass(frozen=True)
class LineSpec:
    kind: str
    target: Decimal
    description: str = ""


def _reference(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%y%m}-{secrets.token_hex(4).upper()}"


def listing_publish(
    *,
    source: Model,
    kind: str,
    title: str,
    story: str,
    category: str,
    community: Region,
    lines: list[LineSpec],
    station: Station | None = None,
    urgency: str = "",
    need_index: Decimal | None = None,
    deadline=None,
    offered: bool = True,
) -> Listing:
    """Publish *source* (a wish, a project …) as a listing. Idempotent per source.

    Not *offered*: the station's own team serves it; the listing starts in delivery and is
    never shown to donors, but is delivered, evidenced and rated like the rest.

    Call it inside the transaction that publishes the source.
    """
    source_type = ContentType.objects.get_for_model(source)
    existing = Listing.objects.of(source).first()
    if existing is not None:
        return existing
    listing = Listing.objects.create(
        reference=_reference("L"),
        kind=kind,
        source_type=source_type,
        source_id=source.pk,
        title=title,
        story=story,
        category=category,
        urgency=urgency,
        community=community,
        station=station,
        need_index=need_index,
        deadline=deadline,
        offered=offered,
        status=ListingStatus.OPEN if offered else ListingStatus.IN_DELIVERY,
    )
    ListingLine.objects.bulk_create(
        [
            ListingLine(
                listing=listing, kind=spec.kind, description=spec.description, target=spec.target
            )
            for spec in lines
        ]
    )
    ledger.escrow(listing)
    audit.record(actor=None, verb="listing.publish", target=listing, region=community)
    return listing


def _check_member(donor: User, organisation: Organisation | None) -> None:
    if (
        organisation is not None
        and not Membership.objects.filter(organisation=organisation, user=donor).exists()
    ):
        raise NotAMember()


def _expire_claims(listing: Listing, now) -> None:
    """Mark this listing's lapsed claims expired (reads already ignore them).

    Caller holds the listing's row lock.
    """
    Claim.objects.filter(listing=listing, status=ClaimStatus.ACTIVE, expires_at__lte=now).update(
        status=ClaimStatus.EXPIRED, ended_at=now
    )


def claim_create(
    *,
    donor: User,
    listing: Listing,
    organisation: Organisation | None = None,
    anonymous: bool = False,
) -> Claim:
    """Claim a whole listing for one donor until the commitments are due.

    Raises:
        NotOpen: the listing is not open.
        AlreadyClaimed: another claim holds it (an expired one does not).
        PartlyPledged: others already pledged part of it.
        NotAMember: *organisation* is not the donor's.
    """
    _check_member(donor, organisation)
    now = timezone.now()
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        if listing.status != ListingStatus.OPEN:
            raise NotOpen()
        holding = Claim.objects.filter(listing=listing).holding(now).first()
        if holding is not None:
            if holding.donor_id == donor.pk:
                return holding  # a double click
            raise AlreadyClaimed()
        if (
            Pledge.objects.filter(line__listing=listing)
            .filter(status=PledgeStatus.CONFIRMED)
            .exists()
            or Pledge.objects.filter(line__listing=listing).reserving(now).exists()
        ):
            raise PartlyPledged()
        _expire_claims(listing, now)
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    listing=listing,
                    donor=donor,
                    organisation=organisation,
                    anonymous=anonymous,
                    expires_at=now + timedelta(days=settings.CLAIM_DAYS),
                )
        except IntegrityError as exc:  # the constraint: only if the lock was bypassed
            raise AlreadyClaimed() from exc
        audit.record(
            actor=donor,
            verb="claim.create",
            target=claim,
            region=listing.community,
            data={"organisation": organisation.pk if organisation else None},
        )
    return claim


def claim_release(*, actor: User, claim: Claim, reason: str = "") -> Claim:
    """The donor gives a claim up; the listing is open to others at once."""
    with transaction.atomic():
        Listing.objects.select_for_update().get(pk=claim.listing_id)
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != ClaimStatus.ACTIVE:
            return claim
        if claim.donor_id != actor.pk:
            from accounts.errors import NotPermitted

            raise NotPermitted()
        claim.status = ClaimStatus.RELEASED
        claim.ended_at = timezone.now()
        claim.save(update_fields=["status", "ended_at"])
        audit.record(actor=actor, verb="claim.release", target=claim, reason=reason)
    return claim


def line_remaining(line: ListingLine, now=None) -> Decimal:
    """What is still free on *line*: target − confirmed − unexpired reservations (pledges'
    and their matches').

    Exact only under the line's row lock; a display figure otherwise.
    """
    reserved = Pledge.objects.filter(line=line).reserving(now).total()
    matching = Match.objects.filter(line=line).reserving(now).total()
    return max(line.target - line.confirmed - reserved - matching, Decimal(0))


def pledge_create(
    *,
    donor: User,
    line: ListingLine,
    quantity: Decimal,
    organisation: Organisation | None = None,
    anonymous: bool = False,
    accept_clipped: bool = False,
) -> Pledge:
    """Pledge part (or all) of one line; the pledge reserves it until it expires.

    Raises:
        NotOpen, AlreadyClaimed (another donor's claim holds the listing), FullyPledged,
        WouldBeClipped (more than remains, not yet confirmed by the donor), BelowMinimum,
        TooManyOpenPledges, NotAMember.
    """
    _check_member(donor, organisation)
    quantity = money(quantity)
    if line.kind == LineKind.MONEY and quantity < settings.PLEDGE_MINIMUM_YUAN:
        raise BelowMinimum(minimum=settings.PLEDGE_MINIMUM_YUAN)
    if quantity <= 0:
        raise BelowMinimum(minimum=settings.PLEDGE_MINIMUM_YUAN)
    now = timezone.now()
    with transaction.atomic():
        # Lock order: listing, then line (everywhere), so two writers never deadlock.
        listing = Listing.objects.select_for_update().get(pk=line.listing_id)
        line = ListingLine.objects.select_for_update().get(pk=line.pk)
        if listing.status != ListingStatus.OPEN:
            raise NotOpen()
        holding = Claim.objects.filter(listing=listing).holding(now).first()
        if holding is not None and holding.donor_id != donor.pk:
            raise AlreadyClaimed()
        open_count = Pledge.objects.filter(donor=donor).reserving(now).count()
        if open_count >= settings.MAX_OPEN_PLEDGES_PER_DONOR:
            raise TooManyOpenPledges(count=open_count)
        remaining = line_remaining(line, now)
        if remaining <= 0:
            raise FullyPledged()
        if quantity > remaining:
            if not accept_clipped:
                raise WouldBeClipped(remaining=remaining)
            quantity = remaining
        pledge = Pledge.objects.create(
            line=line,
            donor=donor,
            organisation=organisation,
            claim=holding,
            quantity=quantity,
            anonymous=anonymous,
            reference=_reference("P"),
            expires_at=now + timedelta(minutes=settings.PLEDGE_RESERVATION_MINUTES),
        )
        audit.record(
            actor=donor,
            verb="pledge.create",
            target=pledge,
            region=listing.community,
            data={"line": line.pk, "quantity": str(quantity)},
        )
        matching.matches_reserve(pledge=pledge, listing=listing, line=line, now=now)
    return pledge


def refresh_listing_status(listing: Listing) -> None:
    """Open ⇄ fully pledged, from the lines' confirmed counters. Caller holds the locks."""
    full = all(line.confirmed >= line.target for line in listing.lines.all())
    if full and listing.status == ListingStatus.OPEN:
        listing.status = ListingStatus.FULLY_PLEDGED
        listing.save(update_fields=["status"])
        audit.record(
            actor=None, verb="listing.fully_pledged", target=listing, region=listing.community
        )


def pledge_confirm(*, pledge: Pledge, actor: User | None = None, now=None) -> bool:
    """Confirm a pledge (payment received, goods dropped off, service booked).

    A pledge confirmed after its reservation lapsed takes capacity again if there is
    still room. Returns False when there is none: the caller must refund. Idempotent.

    Money is confirmed by its payment (``payments.services.payment_succeeded``, which
    posts it to the ledger and confirms its matches), never here.
    """
    now = now or timezone.now()
    with transaction.atomic():
        line_id, listing_id, kind = Pledge.objects.values_list(
            "line_id", "line__listing_id", "line__kind"
        ).get(pk=pledge.pk)
        if kind == LineKind.MONEY:
            raise ValueError("A money pledge is confirmed by its payment.")
        listing, line, pledge = lock_chain(listing_id, line_id, pledge.pk)
        return _confirm_locked(listing, line, pledge, now, actor=actor)


def lock_chain(
    listing_id: int, line_id: int, pledge_id: int
) -> tuple[Listing, ListingLine, Pledge]:
    """Lock and re-read a pledge with its line and listing, in the one lock order.

    Call inside a transaction. Only the listing's row is locked, not its community's
    (``of``): audit events of every writer in that community refer to that row.
    """
    listing = (
        Listing.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=listing_id)
    )
    line = ListingLine.objects.select_for_update().get(pk=line_id)
    pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
    return listing, line, pledge


def _confirm_locked(
    listing: Listing, line: ListingLine, pledge: Pledge, now, *, actor: User | None = None
) -> bool:
    """Confirm *pledge*; False when it cannot be honoured (the caller must refund).

    Caller holds the row locks of *listing*, *line* and *pledge* (in that order), freshly
    read; ``marketplace.payments.services.payment_succeeded`` calls it with the payment's
    lock added after them.
    """
    if pledge.status == PledgeStatus.CONFIRMED:
        return True
    if pledge.status not in (PledgeStatus.PENDING, PledgeStatus.EXPIRED):
        return False
    # A lapsed reservation holds nothing: is there still room without it?
    if pledge.expires_at <= now and line_remaining(line, now) < pledge.quantity:
        return False
    ListingLine.objects.filter(pk=line.pk).update(confirmed=F("confirmed") + pledge.quantity)
    pledge.status = PledgeStatus.CONFIRMED
    pledge.confirmed_at = now
    pledge.save(update_fields=["status", "confirmed_at"])
    audit.record(
        actor=actor,
        verb="pledge.confirm",
        target=pledge,
        region=listing.community,
        data={"quantity": str(pledge.quantity)},
    )
    refresh_listing_status(listing)
    return True


def pledge_cancel(*, actor: User, pledge: Pledge) -> Pledge:
    """The donor cancels a pending pledge; its reservation is freed at once."""
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if pledge.donor_id != actor.pk:
            from accounts.errors import NotPermitted

            raise NotPermitted()
        if pledge.status != PledgeStatus.PENDING:
            return pledge
        pledge.status = PledgeStatus.CANCELLED
        pledge.ended_at = timezone.now()
        pledge.save(update_fields=["status", "ended_at"])
        matching.matches_release(pledges=[pledge.pk], now=pledge.ended_at)
        audit.record(actor=actor, verb="pledge.cancel", target=pledge)
    return pledge


def reservations_expire(*, now=None) -> int:
    """Periodic tidy-up: mark lapsed pledges, matches and claims ended (reads already ignore
    them). A lapsed pledge whose money still arrives may take its match again if room is
    left (see ``matching.matches_confirm``)."""
    now = now or timezone.now()
    pledges = Pledge.objects.filter(status=PledgeStatus.PENDING, expires_at__lte=now).update(
        status=PledgeStatus.EXPIRED, ended_at=now
    )
    Match.objects.filter(status=MatchStatus.RESERVED, expires_at__lte=now).update(
        status=MatchStatus.RELEASED, ended_at=now
    )
    claims = Claim.objects.filter(status=ClaimStatus.ACTIVE, expires_at__lte=now).update(
        status=ClaimStatus.EXPIRED, ended_at=now
    )
    return pledges + claims
