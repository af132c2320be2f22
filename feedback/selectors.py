"""Reads of the feedback app: queues in a user's area, satisfaction figures, outcomes.

Satisfaction figures cost a constant number of queries, however many rows: each is a pair
of grouped aggregates (ratings, links issued) joined in Python.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, QuerySet, Sum
from django.http import Http404

from accounts.models import AuditEvent, Region, Station, User
from accounts.permissions import region_q
from accounts.roles import Perm
from feedback.models import Case, CaseStatus, ConfirmationLink, FollowUp, FollowUpStatus, Rating
from marketplace.models import Listing, Pledge, PledgeStatus


@dataclass(frozen=True)
class Satisfaction:
    key: int | None
    label: str
    average: Decimal | None  # one decimal place; None without ratings
    count: int  # ratings
    links: int  # links issued
    answered: int  # links answered (by the recipient or on a follow-up visit)

    @property
    def response_rate(self) -> Decimal | None:
        """Answered links ÷ links issued, as a percentage with no decimals."""
        if not self.links:
            return None
        return (Decimal(self.answered) * 100 / self.links).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )


def _average(total: int | None, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total or 0) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _grouped(field: str) -> tuple[dict, dict]:
    """{group: (score sum, ratings)} and {group: (links, answered)} — two queries."""
    ratings = {
        row[field]: (row["total"], row["n"])
        for row in Rating.objects.values(field).annotate(total=Sum("score"), n=Count("pk"))
    }
    links = {
        row[field]: (row["n"], row["answered"])
        for row in ConfirmationLink.objects.values(field).annotate(
            n=Count("pk"), answered=Count("used_at")
        )
    }
    return ratings, links


def _figures(labels: dict, ratings: dict, links: dict) -> list[Satisfaction]:
    rows = []
    for key, label in labels.items():
        total, n = ratings.get(key, (0, 0))
        issued, answered = links.get(key, (0, 0))
        if not n and not issued:
            continue
        rows.append(Satisfaction(key, label, _average(total, n), n, issued, answered))
    return rows


def satisfaction_by_station() -> list[Satisfaction]:
    """Per station: average, ratings, links issued and answered. Three queries."""
    ratings, links = _grouped("listing__station")
    labels = {s.pk: s.label for s in Station.objects.filter(pk__in=set(ratings) | set(links))}
    return _figures(labels, ratings, links)


def satisfaction_by_town() -> list[Satisfaction]:
    """Per town (the parent of the listing's community). Three queries."""
    ratings, links = _grouped("listing__community__parent")
    labels = {r.pk: r.label for r in Region.objects.filter(pk__in=set(ratings) | set(links))}
    return _figures(labels, ratings, links)


def satisfaction_by_donor(donor_ids: list[int] | None = None) -> list[Satisfaction]:
    """Per donor: the ratings of listings they have a confirmed pledge on. Four queries.

    A donor's several pledges on one listing count that listing's ratings once.
    """
    pledges = Pledge.objects.filter(status=PledgeStatus.CONFIRMED)
    if donor_ids is not None:
        pledges = pledges.filter(donor_id__in=donor_ids)
    donor_listings: dict[int, set[int]] = defaultdict(set)
    for donor_id, listing_id in (
        pledges.order_by().values_list("donor_id", "line__listing_id").distinct()
    ):
        donor_listings[donor_id].add(listing_id)
    listing_ids = set().union(*donor_listings.values()) if donor_listings else set()
    ratings, links = {}, {}
    if listing_ids:
        ratings, links = _grouped_for(listing_ids)
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=list(donor_listings))}
    rows = []
    for donor_id, listings in donor_listings.items():
        total = sum(ratings.get(pk, (0, 0))[0] or 0 for pk in listings)
        n = sum(ratings.get(pk, (0, 0))[1] for pk in listings)
        issued = sum(links.get(pk, (0, 0))[0] for pk in listings)
        answered = sum(links.get(pk, (0, 0))[1] for pk in listings)
        if n or issued:
            rows.append(
                Satisfaction(
                    donor_id, users.get(donor_id, ""), _average(total, n), n, issued, answered
                )
            )
    return rows


def _grouped_for(listing_ids: set[int]) -> tuple[dict, dict]:
    ratings = {
        row["listing"]: (row["total"], row["n"])
        for row in Rating.objects.filter(listing_id__in=listing_ids)
        .values("listing")
        .annotate(total=Sum("score"), n=Count("pk"))
    }
    links = {
        row["listing"]: (row["n"], row["answered"])
        for row in ConfirmationLink.objects.filter(listing_id__in=listing_ids)
        .values("listing")
        .annotate(n=Count("pk"), answered=Count("used_at"))
    }
    return ratings, links


@dataclass(frozen=True)
class Outcome:
    delivered_at: datetime | None
    average: Decimal | None
    count: int


def listing_outcome(listing: Listing) -> Outcome:
    """What the public listing page shows: when it was delivered, its average and count.

    Delivered is the time of the listing's ``listing.delivered`` audit event (the one place
    every delivery is recorded), or None. Two queries.
    """
    event = (
        AuditEvent.objects.filter(
            verb="listing.delivered",
            target_type=ContentType.objects.get_for_model(Listing),
            target_id=str(listing.pk),
        )
        .order_by("-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    figures = Rating.objects.filter(listing=listing).aggregate(avg=Avg("score"), n=Count("pk"))
    average = (
        Decimal(str(figures["avg"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if figures["n"]
        else None
    )
    return Outcome(event, average, figures["n"])


# --- Staff queues -----------------------------------------------------------------------


def follow_ups_for(user: User) -> QuerySet[FollowUp]:
    """Open follow-up visits in the user's delivery area, most overdue first."""
    return (
        FollowUp.objects.filter(status=FollowUpStatus.OPEN)
        .filter(region_q(user, Perm.DELIVERY_LOG, "listing__community"))
        .select_related("listing__community", "listing__station", "link")
        .order_by("due_on", "pk")
    )


def access_follow_up(user: User, pk: int) -> FollowUp:
    """A follow-up visit in the user's delivery area. Raises Http404 elsewhere."""
    follow_up = (
        FollowUp.objects.filter(region_q(user, Perm.DELIVERY_LOG, "listing__community"))
        .select_related("listing__community", "listing__station", "link")
        .filter(pk=pk)
        .first()
    )
    if follow_up is None:
        raise Http404
    return follow_up


def cases_for(user: User, *, resolved: bool = False) -> QuerySet[Case]:
    """Cases of the towns the user reviews: open ones (or resolved ones), earliest due first."""
    rows = Case.objects.filter(region_q(user, Perm.WISH_REVIEW, "town"))
    rows = (
        rows.filter(status=CaseStatus.RESOLVED)
        if resolved
        else rows.exclude(status=CaseStatus.RESOLVED)
    )
    return rows.select_related("listing__community", "listing__station", "rating").order_by(
        "due_on", "pk"
    )


def access_case(user: User, pk: int) -> Case:
    """A case in a town the user reviews. Raises Http404 elsewhere."""
    case = (
        Case.objects.filter(region_q(user, Perm.WISH_REVIEW, "town"))
        .select_related("listing__community", "listing__station", "rating", "town")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def case_history(case: Case) -> QuerySet[AuditEvent]:
    """The case's audited steps, oldest first (one query)."""
    return AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(Case), target_id=str(case.pk)
    ).order_by("created_at", "pk")
