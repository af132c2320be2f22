"""Reads of wishes. Staff reads are scoped to the user's area; ``access_*`` raise 404 outside
it. Private records (households, visit notes, files) are read only through functions that
write an audit entry for every view.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent, User
from accounts.permissions import has_perm, region_q
from accounts.roles import Perm
from wishes.models import (
    OPEN_STATUSES,
    AidRecord,
    Attachment,
    DisabilityGrade,
    Household,
    Housing,
    ObjectionStatus,
    Status,
    Urgency,
    Wish,
    WishNeed,
)
from wishes.need_index import FACTOR_LABELS

STAFF_PERMS = (Perm.WORKSPACE_VIEW,)


def _staff_q(user: User, perm: Perm = Perm.WORKSPACE_VIEW) -> Q:
    return region_q(user, perm, field="station__community")


def staff_wishes(user: User) -> QuerySet[Wish]:
    """Wishes whose responsible station lies in the user's staff area."""
    return Wish.objects.filter(_staff_q(user)).select_related("community__parent", "station")


def access_wish(
    user: User, pk: int, *, perm: Perm = Perm.WORKSPACE_VIEW, lock: bool = False
) -> Wish:
    """A wish in the user's area.

    Raises:
        Http404: no such wish, or outside the user's area for *perm*.
    """
    wishes = Wish.objects.filter(_staff_q(user, perm), pk=pk).select_related(
        "community__parent", "station__community", "first_responsible", "raised_by", "reviewed_by"
    )
    if lock:
        wishes = wishes.select_for_update(of=("self",))
    wish = wishes.first()
    if wish is None:
        raise Http404
    return wish


def access_own_wish(user: User, reference: str) -> Wish:
    """A wish the signed-in user raised.

    Raises:
        Http404: no such wish, or raised by someone else.
    """
    wish = (
        Wish.objects.filter(reference=reference, raised_by=user)
        .select_related("community", "station")
        .first()
    )
    if wish is None:
        raise Http404
    return wish


def public_wish(reference: str) -> Wish:
    """A wish on notice or published, with what the public page shows and nothing more.

    Raises:
        Http404: no such wish, or not public.
    """
    wish = (
        Wish.objects.public()
        .filter(reference=reference)
        .select_related("community__parent")
        .only(
            "reference",
            "title",
            "story",
            "category",
            "urgency",
            "status",
            "route",
            "notice_ends_at",
            "published_at",
            "need_index",
            "community__name",
            "community__name_en",
            "community__parent__name",
            "community__parent__name_en",
        )
        .prefetch_related("needs")
        .first()
    )
    if wish is None:
        raise Http404
    return wish


def public_wishes(*, status: str) -> QuerySet[Wish]:
    """The public list of wishes on notice or published, most urgent first."""
    return (
        Wish.objects.filter(status=status)
        .select_related("community__parent")
        .only(
            "reference",
            "title",
            "category",
            "urgency",
            "status",
            "notice_ends_at",
            "published_at",
            "need_index",
            "community__name",
            "community__name_en",
            "community__parent__name",
            "community__parent__name_en",
        )
        .prefetch_related(Prefetch("needs", queryset=WishNeed.objects.order_by("pk")))
        .order_by("-need_index", "pk")
    )


def my_wishes(user: User) -> QuerySet[Wish]:
    return Wish.objects.filter(raised_by=user).select_related("community").order_by("-created_at")


TIMELINE_VERBS = (
    "wish.submitted",
    "wish.accepted",
    "wish.verified",
    "wish.referred_to_station",
    "wish.notice",
    "wish.referred",
    "wish.station_service",
    "wish.published",
    "wish.resolved",
    "wish.rejected",
    "wish.withdrawn",
)
# Reasons the requester is shown (a rejection or withdrawal says why); other reasons are internal.
REQUESTER_REASON_VERBS = ("wish.rejected", "wish.withdrawn", "wish.resolved")


def timeline(wish: Wish) -> QuerySet[AuditEvent]:
    """The steps the requester sees, oldest first, from the audit trail."""
    return (
        AuditEvent.objects.for_object(wish)
        .filter(verb__in=TIMELINE_VERBS)
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class Duplicates:
    """Other help for the same person or household, for the reviewer to weigh."""

    wishes: list[Wish]
    aid: list[AidRecord]

    def any(self) -> bool:
        return bool(self.wishes or self.aid)


def duplicates_of(wish: Wish) -> Duplicates:
    """Open or recent wishes of the same household or the same person (blind index), and
    aid received in the duplicate window."""
    since = timezone.now() - timedelta(days=settings.WISH_DUPLICATE_WINDOW_DAYS)
    household = wish.household
    same = Q(household_id=household.pk)
    if household.id_hash:
        same |= Q(household__id_hash=household.id_hash)
    others = (
        Wish.objects.filter(same)
        .exclude(pk=wish.pk)
        .filter(Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=since) | Q(created_at__gte=since))
        .exclude(status__in=[Status.REJECTED, Status.WITHDRAWN])
        .select_related("station")
        .order_by("-created_at")
    )
    aid_q = Q(household_id=household.pk)
    if household.id_hash:
        aid_q |= Q(household__id_hash=household.id_hash)
    aid = AidRecord.objects.filter(aid_q, received_on__gte=since.date()).order_by("-received_on")
    return Duplicates(wishes=list(others), aid=list(aid))


def view_household(user: User, wish: Wish) -> Household:
    """The private household record behind *wish*, for a user allowed to see it. Audited.

    Raises:
        Http404: the user may not see private data in this wish's area.
    """
    if not has_perm(user, Perm.PRIVATE_VIEW, wish.station.community):
        raise Http404
    household = Household.objects.select_related("community").get(pk=wish.household_id)
    audit.record(
        actor=user,
        verb="household.view",
        target=household,
        region=wish.station.community,
        data={"wish": wish.pk},
    )
    return household


def household_aid(household: Household) -> QuerySet[AidRecord]:
    return household.aid.select_related("wish").order_by("-received_on", "-pk")


def access_attachment(user: User, token: str) -> Attachment:
    """A private file, for a user allowed to see private data in its wish's area. Audited.

    Raises:
        Http404: no such file, or not for this user.
    """
    attachment = (
        Attachment.objects.select_related("wish__station__community").filter(token=token).first()
    )
    if attachment is None or not has_perm(
        user, Perm.PRIVATE_VIEW, attachment.wish.station.community
    ):
        raise Http404
    audit.record(
        actor=user,
        verb="attachment.view",
        target=attachment,
        region=attachment.wish.station.community,
        data={"wish": attachment.wish_id},
    )
    return attachment


# Facts stored as codes (so a score reads the same in any language), shown as labels.
_FACT_LABELS = {
    "housing": lambda value: Housing(value).label,
    "urgency": lambda value: Urgency(value).label,
    "disability": lambda value: (
        DisabilityGrade(int(value)).label if value.isdigit() else DisabilityGrade.NONE.label
    ),
}


def need_index_explanation(wish: Wish) -> list[dict[str, str]]:
    """ "Why this score": each factor's label, the fact it looked at, and its points."""
    rows = []
    for row in wish.need_index_explanation or []:
        factor, value = row.get("factor", ""), row.get("value", "")
        try:
            shown = _FACT_LABELS[factor](value) if factor in _FACT_LABELS else value
        except ValueError:  # a code from an older formula version: show it as stored
            shown = value
        rows.append(
            {
                "label": FACTOR_LABELS.get(factor, factor),
                "value": shown,
                "points": row.get("points", ""),
            }
        )
    return rows


def open_objection_counts(wishes: QuerySet[Wish]) -> QuerySet[Wish]:
    return wishes.annotate(
        open_objections=Count("objections", filter=Q(objections__status=ObjectionStatus.OPEN))
    )
