"""Reads of proposals: the public list and page, their public history, and the
``access_*`` fetches that 404 a user who may not act on a proposal.

Public reads never load who supported, proposed or decided: supporters are a count, and
history steps are verbs and dates from the audit trail.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import AuditEvent, User
from projects import rules
from projects.models import (
    AgendaItem,
    ConsultationStatus,
    ItemKind,
    Photo,
    Project,
    Proposal,
    ProposalStatus,
    Support,
)

SORTS = {
    "newest": ("-created_at", "-pk"),
    "supported": ("-support_count", "-created_at", "-pk"),
}

# The steps of a proposal the public sees (supports are a count, not steps).
PUBLIC_VERBS = (
    "proposal.created",
    "proposal.tabled",
    "proposal.open",
    "proposal.approved",
    "proposal.rejected",
    "proposal.merged",
    "proposal.merge_received",
    "proposal.withdrawn",
)


def public_proposals(*, area: Q | None = None, status: str = "", sort: str = "newest"):
    """Proposals anyone may see, in an area, of a status, newest or most supported first;
    each with its community, town and council (for the threshold) in the same query."""
    proposals = (
        Proposal.objects.public()
        .filter(area or Q())
        .select_related("community__parent", "community__council")
        .order_by(*SORTS.get(sort, SORTS["newest"]))
    )
    if status:
        proposals = proposals.filter(status=status)
    return proposals


def support_percent(proposal: Proposal) -> int:
    """Supporters as a whole percentage of the council's threshold (0–100), for a bar.
    Needs ``community__council`` loaded."""
    council = getattr(proposal.community, "council", None)
    if council is None or council.support_threshold <= 0:
        return 0
    return min(100, proposal.support_count * 100 // council.support_threshold)


def _base() -> QuerySet[Proposal]:
    return Proposal.objects.select_related("community__parent", "community__council", "merged_into")


def public_proposal(reference: str) -> Proposal:
    """A proposal's public page by its reference; a withdrawn one is gone (404)."""
    proposal = _base().public().filter(reference=reference).first()
    if proposal is None:
        raise Http404
    return proposal


def access_proposal_to_table(user: User, reference: str) -> Proposal:
    """A proposal *user* may table, merge or withdraw as council member or station staff;
    anyone else (another community's council included) gets a 404."""
    proposal = public_proposal(reference)
    if not rules.may_table(user, proposal.community):
        raise Http404
    return proposal


def access_proposal_to_withdraw(user: User, reference: str) -> Proposal:
    """A proposal *user* proposed, or may table; 404 for anyone else."""
    proposal = public_proposal(reference)
    if proposal.proposed_by_id != user.pk and not rules.may_table(user, proposal.community):
        raise Http404
    return proposal


def merged_from(proposal: Proposal) -> list[Proposal]:
    """The proposals merged into *proposal*, oldest first (reference and title only)."""
    return list(
        Proposal.objects.filter(merged_into=proposal)
        .only("reference", "title", "created_at")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class Step:
    """One public step of a proposal: what happened and when, never by whom."""

    verb: str
    at: datetime
    reference: str  # the proposal it happened to (this one, or one merged into it)
    automatic: bool  # no one did it: e.g. tabled on reaching its supporters
    other: str = ""  # the other proposal of a merge
    own: bool = True


def proposal_history(proposal: Proposal, merged: list[Proposal] | None = None) -> list[Step]:
    """The public steps of *proposal* and of the proposals merged into it, oldest first,
    in one query. Pass ``merged`` (from :func:`merged_from`) to save its query."""
    merged = merged_from(proposal) if merged is None else merged
    references = {str(p.pk): p.reference for p in [proposal, *merged]}
    events = (
        AuditEvent.objects.filter(
            target_type__app_label="projects",
            target_type__model="proposal",
            target_id__in=list(references),
            verb__in=PUBLIC_VERBS,
        )
        .only("verb", "created_at", "target_id", "actor_id", "data")
        .order_by("created_at", "pk")
    )
    steps = []
    for event in events:
        data = event.data or {}
        steps.append(
            Step(
                verb=event.verb,
                at=event.created_at,
                reference=references[event.target_id],
                automatic=event.actor_id is None,
                other=str(data.get("into") or data.get("from") or ""),
                own=event.target_id == str(proposal.pk),
            )
        )
    return steps


def own_support(user: User, proposal: Proposal) -> Support | None:
    """*user*'s support of *proposal*, in one query (none for an anonymous visitor)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Support.objects.filter(proposal=proposal, supporter=user).only("pk").first()


def proposal_photos(proposal: Proposal) -> list[Photo]:
    """The proposal's own photos (not progress or acceptance ones) that are not hidden."""
    return list(
        Photo.objects.filter(
            proposal=proposal, update__isnull=True, acceptance__isnull=True, hidden=False
        ).only("token", "description", "created_at", "proposal_id")
    )


def current_item(proposal: Proposal) -> AgendaItem | None:
    """The latest consultation item deciding *proposal* (pending or decided)."""
    return (
        AgendaItem.objects.filter(proposal=proposal, kind=ItemKind.DECISION)
        .exclude(consultation__status=ConsultationStatus.CANCELLED)
        .select_related("consultation")
        .order_by("-consultation__starts_at", "-pk")
        .first()
    )


def public_project(proposal: Proposal) -> Project | None:
    """The project the proposal became, once the town published it."""
    return Project.objects.public().filter(proposal=proposal).only("reference").first()


def merge_targets(proposal: Proposal) -> list[Proposal]:
    """Other open or tabled proposals of the same community, to merge *proposal* into."""
    return list(
        Proposal.objects.filter(
            community_id=proposal.community_id,
            status__in=(ProposalStatus.OPEN, ProposalStatus.TABLED),
        )
        .exclude(pk=proposal.pk)
        .only("reference", "title")
        .order_by("-created_at", "-pk")
    )


def access_photo_to_hide(user: User, token: str) -> Photo:
    """A photo *user* may take down (see ``rules.may_hide_photos``); 404 for anyone else."""
    photo = Photo.objects.select_related("proposal__community").filter(token=token).first()
    if photo is None or not rules.may_hide_photos(user, photo.proposal.community):
        raise Http404
    return photo


def public_photo(token: str) -> Photo:
    """A photo anyone may see: not hidden, of a proposal that is not withdrawn; else 404."""
    photo = (
        Photo.objects.filter(token=token, hidden=False)
        .exclude(proposal__status=ProposalStatus.WITHDRAWN)
        .first()
    )
    if photo is None:
        raise Http404
    return photo
