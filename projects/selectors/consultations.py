"""Reads of consultations: the public list and page (counts, never names), a member's
ballot, the council page and the secretary's page, and the ``access_*`` fetches that 404
a user who may not see or act.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from accounts.models import User
from accounts.permissions import scopes
from accounts.roles import Role
from projects import rules
from projects.models import (
    AgendaItem,
    Attendance,
    Consultation,
    ConsultationStatus,
    Council,
    ItemKind,
    ItemResult,
    Proposal,
    ProposalStatus,
    Vote,
)

RECENT_DAYS = 180  # the council page shows meetings of the last half year


# --- The public ---------------------------------------------------------------------------


def public_consultations(*, area: Q | None = None, upcoming: bool, now: datetime) -> QuerySet:
    """Consultations anyone may see: *upcoming* (voting not ended, not cancelled; soonest
    first) or past (the rest; latest first), each with its council, community and town and
    its number of agenda items, in one query."""
    rows = (
        Consultation.objects.filter(area or Q())
        .select_related("council__community__parent")
        .annotate(item_count=Count("items"))
    )
    ahead = Q(status=ConsultationStatus.SCHEDULED, ends_at__gt=now)
    if upcoming:
        return rows.filter(ahead).order_by("starts_at", "pk")
    return rows.exclude(ahead).order_by("-starts_at", "-pk")


def _items_with_decisions() -> QuerySet:
    """Agenda items with their proposal and, where decided, the project's public summary
    (money budget, implementer) in one query."""
    return (
        AgendaItem.objects.select_related(
            "proposal", "decided_project__station", "decided_project__organisation"
        )
        .annotate(
            budget=Sum(
                "decided_project__lines__target",
                filter=Q(decided_project__lines__kind="money"),
            )
        )
        .order_by("position", "pk")
    )


def public_consultation(pk: int) -> Consultation:
    """One consultation for its public page: council, community, the number of members
    present, and the agenda with results and decisions (two queries).

    Raises:
        Http404: no such consultation.
    """
    consultation = (
        Consultation.objects.filter(pk=pk)
        .select_related("council__community__parent")
        .annotate(members_present=Count("attendances"))
        .prefetch_related(Prefetch("items", queryset=_items_with_decisions(), to_attr="agenda"))
        .first()
    )
    if consultation is None:
        raise Http404
    return consultation


def decided_project(item: AgendaItem):
    """The project decided at *item*, or None (it may not be decided yet)."""
    return getattr(item, "decided_project", None)


# --- Members and the secretary --------------------------------------------------------------


def _consultation(pk: int) -> Consultation:
    consultation = (
        Consultation.objects.filter(pk=pk).select_related("council__community", "council").first()
    )
    if consultation is None:
        raise Http404
    return consultation


def access_ballot(user: User, pk: int) -> Consultation:
    """A consultation the user may vote in (a member of its council); else 404."""
    consultation = _consultation(pk)
    if not rules.is_member(user, consultation.council):
        raise Http404
    return consultation


@dataclass
class BallotItem:
    item: AgendaItem
    choice: str  # the member's current vote, or ""


def ballot_items(consultation: Consultation, user: User) -> list[BallotItem]:
    """The pending items of a consultation with *user*'s current vote on each (two
    queries)."""
    items = list(
        consultation.items.filter(result=ItemResult.PENDING)
        .select_related("proposal")
        .order_by("position", "pk")
    )
    votes = dict(Vote.objects.filter(item__in=items, member=user).values_list("item_id", "choice"))
    return [BallotItem(item, votes.get(item.pk, "")) for item in items]


def access_minutes(user: User, pk: int) -> Consultation:
    """A consultation whose minutes the user keeps (its secretary or a town reviewer)."""
    consultation = _consultation(pk)
    if not rules.may_keep_minutes(user, consultation.council):
        raise Http404
    return consultation


def access_item_minutes(user: User, pk: int) -> AgendaItem:
    item = (
        AgendaItem.objects.filter(pk=pk)
        .select_related("consultation__council__community", "proposal")
        .first()
    )
    if item is None or not rules.may_keep_minutes(user, item.consultation.council):
        raise Http404
    return item


def access_council_member(user: User, pk: int) -> Council:
    """A council the user is a member of (to call a meeting); else 404."""
    council = Council.objects.filter(pk=pk).select_related("community").first()
    if council is None or not rules.is_member(user, council):
        raise Http404
    return council


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    by_member: dict[int, str] = field(default_factory=dict)  # member pk -> choice

    @property
    def cast(self) -> int:
        return sum(self.counts.values())


@dataclass
class Minutes:
    """What the secretary's page needs, loaded in a fixed number of queries."""

    items: list[AgendaItem]
    members: list[User]
    present: set[int]
    tallies: dict[int, Tally]
    candidates: list[Proposal]  # proposals that may be put on the agenda


def minutes(consultation: Consultation) -> Minutes:
    council = consultation.council
    items = list(_items_with_decisions().filter(consultation=consultation))
    members = list(rules.members(council).order_by("display_name", "email"))
    member_ids = {m.pk for m in members}
    tallies: dict[int, Tally] = {item.pk: Tally() for item in items}
    for item_id, member_id, choice in Vote.objects.filter(
        item__consultation=consultation
    ).values_list("item_id", "member_id", "choice"):
        tally = tallies.setdefault(item_id, Tally())
        tally.by_member[member_id] = choice
        if member_id in member_ids:
            tally.counts[choice] += 1
    present = set(
        Attendance.objects.filter(consultation=consultation).values_list("member_id", flat=True)
    )
    on_agenda = {(i.proposal_id, i.kind) for i in items}
    candidates = [
        p
        for p in Proposal.objects.filter(
            community_id=council.community_id,
            status__in=(ProposalStatus.TABLED, ProposalStatus.REJECTED, ProposalStatus.APPROVED),
        ).order_by("-tabled_at", "-pk")[:200]
        if (p.pk, ItemKind.DECISION) not in on_agenda or p.status == ProposalStatus.APPROVED
    ]
    return Minutes(items, members, present, tallies, candidates)


# --- The council page ----------------------------------------------------------------------


def user_councils(user: User) -> list[Council]:
    """The councils the user belongs to, keeps the minutes of, or serves as station
    staff (one query after the user's scopes)."""
    if not getattr(user, "is_authenticated", False):
        return []
    member_of = [s.region_id for s in scopes(user) if s.role == Role.COUNCIL_MEMBER]
    station_paths = [s.path for s in scopes(user) if s.role == Role.STATION_STAFF]
    q = Q(community_id__in=member_of) | Q(secretary=user)
    for path in station_paths:
        q |= Q(community__path__startswith=path)
    return list(Council.objects.filter(q).select_related("community").order_by("community__path"))


@dataclass
class CouncilPage:
    council: Council
    is_member: bool
    keeps_minutes: bool
    waiting: list[Proposal] = field(default_factory=list)
    upcoming: list[Consultation] = field(default_factory=list)
    recent: list[Consultation] = field(default_factory=list)


def council_pages(user: User, councils: list[Council], now: datetime) -> list[CouncilPage]:
    """For each council: tabled proposals waiting for a meeting, upcoming and recent
    meetings (three queries, whatever the number of councils or rows)."""
    pages = {
        c.pk: CouncilPage(c, rules.is_member(user, c), rules.may_keep_minutes(user, c))
        for c in councils
    }
    if not pages:
        return []
    by_community = {c.community_id: c.pk for c in councils}
    waiting = (
        Proposal.objects.filter(community_id__in=list(by_community), status=ProposalStatus.TABLED)
        .exclude(
            pk__in=AgendaItem.objects.filter(
                kind=ItemKind.DECISION,
                result=ItemResult.PENDING,
                consultation__status=ConsultationStatus.SCHEDULED,
            ).values("proposal_id")
        )
        .order_by("tabled_at", "pk")
    )
    for proposal in waiting:
        pages[by_community[proposal.community_id]].waiting.append(proposal)
    meetings = (
        Consultation.objects.filter(council_id__in=list(pages))
        .filter(
            Q(status=ConsultationStatus.SCHEDULED)
            | Q(starts_at__gte=now - timedelta(days=RECENT_DAYS))
        )
        .annotate(item_count=Count("items"))
        .order_by("starts_at", "pk")
    )
    for meeting in meetings:
        page = pages[meeting.council_id]
        if meeting.status == ConsultationStatus.SCHEDULED:
            page.upcoming.append(meeting)
        else:
            page.recent.insert(0, meeting)
    return list(pages.values())
