"""Reads of listings for the public: the filtered list and one listing's page.

Public reads load only what a listing shows (title, story, region, lines, counts). Donors
appear by display name, or as an anonymous donor; their email addresses are never loaded.
Everything a card or page needs is annotated or prefetched, so query counts do not grow
with the data.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import AuditEvent, Region, RegionLevel
from marketplace.models import (
    Claim,
    LineKind,
    Listing,
    ListingLine,
    ListingStatus,
    Pledge,
    PledgeStatus,
)

# The statuses a visitor may filter by (cancelled listings are never shown).
FILTER_STATUSES = (
    ListingStatus.OPEN,
    ListingStatus.FULLY_PLEDGED,
    ListingStatus.IN_DELIVERY,
    ListingStatus.DELIVERED,
)
SORTS = ("need", "deadline", "newest", "goal")
DONORS_SHOWN = 50
_MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class ListingFilters:
    """What a visitor asked for; every field is optional."""

    search: str = ""
    category: str = ""
    town: int | None = None
    community: int | None = None
    kind: str = ""
    needs: str = ""
    urgency: str = ""
    deadline_before: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    status: str = ""
    sort: str = "need"


def _supporting(now: datetime) -> Q:
    """Pledges that count as support: confirmed, or pending and still reserving."""
    return Q(status=PledgeStatus.CONFIRMED) | Q(status=PledgeStatus.PENDING, expires_at__gt=now)


def _supporters(now: datetime) -> Coalesce:
    """Distinct donors with a confirmed or reserving pledge on the outer listing."""
    donors = (
        Pledge.objects.filter(_supporting(now), line__listing=OuterRef("pk"))
        .order_by()
        .values("line__listing")
        .annotate(n=Count("donor", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(donors, output_field=IntegerField()), Value(0))


def _money(column: str) -> Subquery:
    """The sum of *column* over the outer listing's money lines (null without any)."""
    lines = (
        ListingLine.objects.filter(listing=OuterRef("pk"), kind=LineKind.MONEY)
        .order_by()
        .values("listing")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Subquery(lines, output_field=_MONEY)


def public_listings(filters: ListingFilters, *, now: datetime | None = None) -> QuerySet[Listing]:
    """Visible listings matching *filters*, each annotated with ``supporters``,
    ``claimed``, ``money_target`` and ``goal_share`` and its lines prefetched.

    Unless a status is asked for, open listings come first, then the chosen order.
    """
    now = now or timezone.now()
    listings = (
        Listing.objects.visible()
        .select_related("community__parent")
        .only(
            "reference",
            "kind",
            "title",
            "category",
            "urgency",
            "need_index",
            "deadline",
            "status",
            "published_at",
            "community__name",
            "community__name_en",
            "community__path",  # campaigns match by region
            "community__parent__name",
            "community__parent__name_en",
        )
        .annotate(
            supporters=_supporters(now),
            claimed=Exists(Claim.objects.filter(listing=OuterRef("pk")).holding(now)),
            money_target=_money("target"),
            money_confirmed=_money("confirmed"),
        )
        # Cast: SQLite stores whole yuan as integers and would divide them as integers.
        .annotate(
            goal_share=Cast("money_confirmed", FloatField()) / Cast("money_target", FloatField())
        )
        .prefetch_related(Prefetch("lines", queryset=ListingLine.objects.order_by("pk")))
    )
    # icontains is LIKE on both databases: it finds any Chinese substring, even two
    # characters, where trigram or full-text search would need three or a segmenter.
    for term in filters.search.split():
        listings = listings.filter(Q(title__icontains=term) | Q(story__icontains=term))
    if filters.category:
        listings = listings.filter(category=filters.category)
    if filters.town is not None:
        listings = listings.filter(community__parent_id=filters.town)
    if filters.community is not None:
        listings = listings.filter(community_id=filters.community)
    if filters.kind:
        listings = listings.filter(kind=filters.kind)
    if filters.needs:
        listings = listings.filter(
            Exists(ListingLine.objects.filter(listing=OuterRef("pk"), kind=filters.needs))
        )
    if filters.urgency:
        listings = listings.filter(urgency=filters.urgency)
    if filters.deadline_before is not None:
        listings = listings.filter(deadline__lte=filters.deadline_before)
    if filters.amount_min is not None:
        listings = listings.filter(money_target__gte=filters.amount_min)
    if filters.amount_max is not None:
        listings = listings.filter(money_target__lte=filters.amount_max)
    if filters.status:
        listings = listings.filter(status=filters.status)
    order = {
        "need": [F("need_index").desc(nulls_last=True)],
        "deadline": [F("deadline").asc(nulls_last=True)],
        "newest": [],
        "goal": [F("goal_share").desc(nulls_last=True)],
    }.get(filters.sort, [])
    if not filters.status:
        listings = listings.alias(
            open_rank=Case(When(status=ListingStatus.OPEN, then=Value(0)), default=Value(1))
        )
        order = [F("open_rank").asc(), *order]
    return listings.order_by(*order, "-published_at", "-pk")


def filter_regions() -> list[Region]:
    """Towns and communities for the list's filters, in one query."""
    return list(
        Region.objects.filter(level__in=(RegionLevel.TOWN, RegionLevel.COMMUNITY))
        .only("name", "name_en", "level", "parent_id", "path")
        .order_by("path")
    )


def line_percent(line: ListingLine) -> int:
    """Confirmed as a whole percentage of the target (0–100), for a progress bar."""
    if line.target <= 0:
        return 0
    return min(100, int(line.confirmed * 100 / line.target))


@dataclass
class Supporter:
    """One pledge as the public sees it: a display name or none, never an email."""

    name: str  # empty: an anonymous donor
    kind: str
    quantity: Decimal
    confirmed: bool
    created_at: datetime


@dataclass
class Milestone:
    verb: str
    at: datetime


@dataclass
class ListingPage:
    listing: Listing
    lines: list[ListingLine]
    supporters: list[Supporter]
    timeline: list[Milestone] = field(default_factory=list)


TIMELINE_VERBS_PREFIX = "listing."


def public_listing(reference: str, *, now: datetime | None = None) -> ListingPage:
    """One visible listing with what its public page shows.

    Lines carry ``reserved`` (unexpired pending pledges), ``remaining`` and ``percent``;
    the listing carries ``supporters`` and ``claimed_until`` (a holding claim's expiry).

    Raises:
        Http404: no such listing, or cancelled.
    """
    now = now or timezone.now()
    holding = Claim.objects.filter(listing=OuterRef("pk")).holding(now).order_by()
    listing = (
        Listing.objects.visible()
        .filter(reference=reference)
        .select_related("community__parent")
        .defer("station")
        .annotate(
            supporters=_supporters(now),
            claimed_until=Subquery(holding.values("expires_at")[:1]),
        )
        .first()
    )
    if listing is None:
        raise Http404
    reserved = (
        Pledge.objects.filter(line=OuterRef("pk"))
        .reserving(now)
        .order_by()
        .values("line")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    lines = list(
        ListingLine.objects.filter(listing=listing)
        .annotate(reserved=Coalesce(Subquery(reserved, output_field=_MONEY), Decimal("0.00")))
        .order_by("pk")
    )
    for line in lines:
        # The same figure as services.line_remaining, without a query per line.
        line.remaining = max(line.target - line.confirmed - line.reserved, Decimal(0))
        line.percent = line_percent(line)
    pledges = (
        Pledge.objects.filter(_supporting(now), line__listing=listing)
        .select_related("line", "donor", "organisation")
        .only(
            "quantity",
            "anonymous",
            "status",
            "created_at",
            "line__kind",
            "donor__display_name",
            "organisation__name",
        )
        .order_by("-created_at", "-pk")[:DONORS_SHOWN]
    )
    supporters = [
        Supporter(
            name=_public_name(pledge),
            kind=pledge.line.kind,
            quantity=pledge.quantity,
            confirmed=pledge.status == PledgeStatus.CONFIRMED,
            created_at=pledge.created_at,
        )
        for pledge in pledges
    ]
    return ListingPage(
        listing=listing, lines=lines, supporters=supporters, timeline=_timeline(listing)
    )


def _public_name(pledge: Pledge) -> str:
    if pledge.anonymous:
        return ""
    if pledge.organisation is not None:
        return pledge.organisation.name
    return pledge.donor.display_name


def _timeline(listing: Listing) -> list[Milestone]:
    """Public steps, oldest first: the listing's own (from the audit trail, verb and time
    only, never actor or reason) and, for a wish, its publication after public notice."""
    steps = [
        Milestone(verb=verb, at=at)
        for verb, at in AuditEvent.objects.for_object(listing)
        .filter(verb__startswith=TIMELINE_VERBS_PREFIX)
        .order_by("created_at", "pk")
        .values_list("verb", "created_at")
    ]
    from wishes.models import Wish

    if listing.source_type_id == ContentType.objects.get_for_model(Wish).pk:
        published = (
            Wish.objects.filter(pk=listing.source_id).values_list("published_at", flat=True).first()
        )
        if published is not None:
            steps.append(Milestone(verb="wish.published", at=published))
    return sorted(steps, key=lambda step: step.at)
