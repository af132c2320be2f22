"""Putting tabled proposals on a consultation's agenda (used by proposals and meetings)."""

from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from projects.models import (
    AgendaItem,
    Consultation,
    ConsultationStatus,
    Council,
    ItemKind,
    ItemResult,
    Proposal,
    ProposalStatus,
)
from projects.rules import PROPOSAL


def pending_item(proposal: Proposal, kind: str = ItemKind.DECISION) -> AgendaItem | None:
    """The item still to be voted on for *proposal*, in a meeting that has not closed."""
    return (
        AgendaItem.objects.filter(
            proposal=proposal,
            kind=kind,
            result=ItemResult.PENDING,
            consultation__status=ConsultationStatus.SCHEDULED,
        )
        .select_related("consultation")
        .first()
    )


def next_consultation(council: Council, now=None) -> Consultation | None:
    """The council's earliest scheduled meeting whose voting has not begun."""
    now = now or timezone.now()
    return (
        Consultation.objects.filter(
            council=council, status=ConsultationStatus.SCHEDULED, starts_at__gt=now
        )
        .order_by("starts_at", "pk")
        .first()
    )


def item_add(consultation: Consultation, proposal: Proposal, kind: str) -> AgendaItem:
    """Append an item to the agenda (idempotent: the same question is asked once)."""
    last = consultation.items.aggregate(m=Max("position"))["m"]
    item, _created = AgendaItem.objects.get_or_create(
        consultation=consultation,
        proposal=proposal,
        kind=kind,
        defaults={"position": 0 if last is None else last + 1},
    )
    return item


def table(
    *, proposal: Proposal, actor: User | None, reason: str = "", now=None
) -> AgendaItem | None:
    """Table *proposal* (it reached its supporters, or a council member tabled it) and put
    it on the council's next meeting if one is scheduled; otherwise the next meeting called
    takes it. Returns the agenda item, if any.

    Caller holds the proposal's row lock inside a transaction.
    """
    now = now or timezone.now()
    if proposal.status != ProposalStatus.TABLED:
        proposal.tabled_at = now
        PROPOSAL.move(
            proposal,
            ProposalStatus.TABLED,
            actor=actor,
            reason=reason,
            region=proposal.community,
            update_fields=["tabled_at"],
        )
    if pending_item(proposal) is not None:
        return None
    council = Council.objects.filter(community_id=proposal.community_id).first()
    meeting = next_consultation(council, now) if council else None
    return item_add(meeting, proposal, ItemKind.DECISION) if meeting else None


def tabled_waiting(council: Council) -> list[Proposal]:
    """Tabled proposals of *council* not on any meeting still to vote, oldest first."""
    waiting = Proposal.objects.filter(
        community_id=council.community_id, status=ProposalStatus.TABLED
    ).exclude(
        pk__in=AgendaItem.objects.filter(
            kind=ItemKind.DECISION,
            result=ItemResult.PENDING,
            consultation__status=ConsultationStatus.SCHEDULED,
        ).values("proposal_id")
    )
    return list(waiting.order_by("tabled_at", "pk"))
