"""Consultations and votes: calling a meeting, its agenda and attendance, members' online
votes and the secretary's paper and hand counts, and closing it with computed results.

Lock order, everywhere: the consultation, then its items in pk order, then proposals.
Results are computed from the Vote rows at close, never typed in.
"""

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from accounts.errors import InvalidTransition, LinliError, NotPermitted
from accounts.models import User
from accounts.transitions import Workflow
from projects import rules
from projects.counting import count_result
from projects.exceptions import (
    AgendaClosed,
    AttendanceTooLow,
    BadChannel,
    BadChoice,
    BadWindow,
    ConsultationFinished,
    ConsultationNotOver,
    NotAMember,
    NotFunded,
    NotTableable,
    OnAgenda,
    ReasonRequired,
    StartsInPast,
    VotingClosed,
)
from projects.models import (
    ACCEPTABLE_LISTING,
    RUNNING,
    AgendaItem,
    Attendance,
    Consultation,
    ConsultationForm,
    ConsultationStatus,
    Council,
    ItemKind,
    ItemResult,
    Proposal,
    ProposalStatus,
    Vote,
    VoteChannel,
    VoteChoice,
)
from projects.rules import PROPOSAL
from projects.services import agenda

logger = logging.getLogger(__name__)

C = ConsultationStatus
CONSULTATION = Workflow("consultation", {C.SCHEDULED: {C.CLOSED, C.CANCELLED}})


def _guard_minutes(actor: User | None, council: Council) -> None:
    if not rules.may_keep_minutes(actor, council):
        raise NotPermitted


def _lock_consultation(consultation: Consultation) -> Consultation:
    # NO KEY UPDATE: agenda items and attendance rows inserted elsewhere (a proposal tabled
    # onto this meeting) only take a key-share lock on it, and need not wait or deadlock.
    return (
        Consultation.objects.select_for_update(of=("self",), no_key=True)
        .select_related("council", "council__community")
        .get(pk=consultation.pk)
    )


def _lock_item(item: AgendaItem) -> AgendaItem:
    return (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("consultation", "consultation__council", "consultation__council__community")
        .get(pk=item.pk)
    )


# --- Calling a meeting and its agenda -----------------------------------------------------


def consultation_create(
    *,
    actor: User,
    council: Council,
    form: str,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime | None = None,
) -> Consultation:
    """Call a consultation of *council*; its agenda takes every tabled proposal waiting.

    Raises:
        NotPermitted: *actor* is neither a member of the council nor keeps its minutes.
        LinliError: an unknown form of meeting.
        BadWindow: voting would close before it opens.
        StartsInPast: the meeting would start before *now*.
    """
    now = now or timezone.now()
    if not (rules.is_member(actor, council) or rules.may_keep_minutes(actor, council)):
        raise NotPermitted
    if form not in ConsultationForm.values:
        raise LinliError(code="bad_form")
    if ends_at <= starts_at:
        raise BadWindow
    if starts_at <= now:
        raise StartsInPast
    with transaction.atomic():
        # One meeting called at a time per council: two at once would share the waiting list.
        council = Council.objects.select_for_update().select_related("community").get(pk=council.pk)
        consultation = Consultation.objects.create(
            council=council,
            form=form,
            title=title,
            place=place,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor,
            created_at=now,
        )
        waiting = agenda.tabled_waiting(council)
        for proposal in waiting:
            agenda.item_add(consultation, proposal, ItemKind.DECISION)
        audit.record(
            actor=actor,
            verb="consultation.create",
            target=consultation,
            region=council.community,
            data={"items": len(waiting), "starts_at": starts_at.isoformat()},
        )
    return consultation


def _guard_agenda_open(consultation: Consultation, now: datetime) -> None:
    if consultation.status != ConsultationStatus.SCHEDULED or consultation.starts_at <= now:
        raise AgendaClosed


def agenda_add(
    *,
    actor: User,
    consultation: Consultation,
    proposal: Proposal,
    kind: str = ItemKind.DECISION,
    now: datetime | None = None,
) -> AgendaItem:
    """Put a question on a consultation's agenda before voting starts (idempotent).

    A DECISION takes a tabled proposal, or a rejected one (it is tabled again); an
    ACCEPTANCE takes a running project whose listing has everything it needs.

    Raises:
        NotPermitted: *actor* does not keep the minutes, or the proposal is elsewhere.
        AgendaClosed: voting has started, or the meeting is closed or cancelled.
        NotTableable: a decision on a proposal that is not tabled or rejected.
        OnAgenda: the proposal already waits for a vote at another meeting.
        NotFunded: an acceptance of a project that is not running or not fully pledged.
    """
    now = now or timezone.now()
    council = consultation.council
    _guard_minutes(actor, council)
    if proposal.community_id != council.community_id or kind not in ItemKind.values:
        raise NotPermitted
    with transaction.atomic():
        consultation = _lock_consultation(consultation)
        _guard_agenda_open(consultation, now)
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        existing = consultation.items.filter(proposal=proposal, kind=kind).first()
        if existing is not None:
            return existing
        if kind == ItemKind.DECISION:
            if proposal.status not in (ProposalStatus.TABLED, ProposalStatus.REJECTED):
                raise NotTableable
            if agenda.pending_item(proposal) is not None:
                raise OnAgenda
            if proposal.status == ProposalStatus.REJECTED:
                proposal.tabled_at = now
                PROPOSAL.move(
                    proposal,
                    ProposalStatus.TABLED,
                    actor=actor,
                    reason="agenda",
                    region=council.community,
                    update_fields=["tabled_at"],
                )
        else:
            project = getattr(proposal, "project", None)
            listing = project.listing if project is not None else None
            if (
                project is None
                or project.status not in RUNNING
                or listing is None
                or listing.status not in ACCEPTABLE_LISTING
            ):
                raise NotFunded
            if agenda.pending_item(proposal, ItemKind.ACCEPTANCE) is not None:
                raise OnAgenda
        item = agenda.item_add(consultation, proposal, kind)
        audit.record(
            actor=actor,
            verb="agenda.add",
            target=consultation,
            region=council.community,
            data={"item": item.pk, "proposal": proposal.pk, "kind": str(kind)},
        )
    return item


def agenda_remove(*, actor: User, item: AgendaItem, now: datetime | None = None) -> None:
    """Take a question off the agenda before voting starts; a tabled proposal waits for the
    next meeting. Removing an item already gone is a no-op.

    Raises:
        NotPermitted: *actor* does not keep the minutes of the council.
        AgendaClosed: voting has started, or the meeting is closed or cancelled.
    """
    now = now or timezone.now()
    consultation = item.consultation
    _guard_minutes(actor, consultation.council)
    with transaction.atomic():
        consultation = _lock_consultation(consultation)
        _guard_agenda_open(consultation, now)
        item = AgendaItem.objects.select_for_update().filter(pk=item.pk).first()
        if item is None:
            return
        data = {"item": item.pk, "proposal": item.proposal_id, "kind": item.kind}
        item.delete()
        audit.record(
            actor=actor,
            verb="agenda.remove",
            target=consultation,
            region=consultation.council.community,
            data=data,
        )


# --- Votes and attendance -----------------------------------------------------------------


def _write_vote(
    item: AgendaItem,
    member: User,
    *,
    choice: str,
    channel: str,
    recorded_by: User | None,
    now: datetime,
) -> tuple[Vote, str]:
    """Create or change *member*'s vote on the locked *item*; returns (vote, what happened):
    "cast", "changed" or "same". The UNIQUE (item, member) constraint is the last line."""
    vote = Vote.objects.filter(item=item, member=member).first()
    if vote is None:
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    item=item,
                    member=member,
                    choice=choice,
                    channel=channel,
                    recorded_by=recorded_by,
                    cast_at=now,
                )
            return vote, "cast"
        except IntegrityError:
            vote = Vote.objects.get(item=item, member=member)
    if (
        vote.choice == choice
        and vote.channel == channel
        and vote.recorded_by_id == getattr(recorded_by, "pk", None)
    ):
        return vote, "same"
    vote.choice, vote.channel, vote.recorded_by, vote.changed_at = (
        choice,
        channel,
        recorded_by,
        now,
    )
    vote.save(update_fields=["choice", "channel", "recorded_by", "changed_at"])
    return vote, "changed"


def vote_cast(*, actor: User, item: AgendaItem, choice: str, now: datetime | None = None) -> Vote:
    """A member votes online on one item while voting is open; voting again changes the
    vote (the latest write wins, a secretary's record included). Same choice: a no-op.

    Raises:
        NotAMember: *actor* is not a member of the item's council.
        BadChoice: *choice* is not for, against or abstain.
        VotingClosed: voting is not open, or the item was already decided.
    """
    now = now or timezone.now()
    if not rules.is_member(actor, item.consultation.council):
        raise NotAMember
    if choice not in VoteChoice.values:
        raise BadChoice
    with transaction.atomic():
        item = _lock_item(item)
        if not item.consultation.voting_open(now) or item.result != ItemResult.PENDING:
            raise VotingClosed
        vote, happened = _write_vote(
            item, actor, choice=choice, channel=VoteChannel.ONLINE, recorded_by=None, now=now
        )
        if happened != "same":
            audit.record(
                actor=actor,
                verb=f"vote.{happened}",
                target=item.consultation,
                region=item.consultation.council.community,
                data={"item": item.pk, "choice": choice},
            )
    return vote


def vote_record(
    *,
    actor: User,
    item: AgendaItem,
    member: User,
    choice: str,
    channel: str,
    now: datetime | None = None,
) -> Vote:
    """The secretary records a member's paper ballot or hand-count vote, from the start of
    voting until the consultation is closed (paper counts are typed in after the meeting).

    Raises:
        NotPermitted: *actor* does not keep the council's minutes.
        NotAMember: *member* is not a member of the council.
        BadChannel / BadChoice: not a paper or hands vote; not for, against or abstain.
        VotingClosed: voting has not started, the item was decided, or the meeting ended.
    """
    now = now or timezone.now()
    council = item.consultation.council
    _guard_minutes(actor, council)
    if not rules.is_member(member, council):
        raise NotAMember
    if channel not in (VoteChannel.PAPER, VoteChannel.HANDS):
        raise BadChannel
    if choice not in VoteChoice.values:
        raise BadChoice
    with transaction.atomic():
        item = _lock_item(item)
        consultation = item.consultation
        if (
            consultation.status != ConsultationStatus.SCHEDULED
            or now < consultation.starts_at
            or item.result != ItemResult.PENDING
        ):
            raise VotingClosed
        vote, happened = _write_vote(
            item, member, choice=choice, channel=channel, recorded_by=actor, now=now
        )
        if happened != "same":
            audit.record(
                actor=actor,
                verb="vote.recorded",
                target=consultation,
                region=council.community,
                data={"item": item.pk, "member": member.pk, "choice": choice, "channel": channel},
            )
    return vote


def attendance_record(
    *,
    actor: User,
    consultation: Consultation,
    members: list[User],
    attendance_count: int,
) -> Consultation:
    """Record who of the council was present (replacing the list) and how many people
    came in all.

    Raises:
        NotPermitted: *actor* does not keep the council's minutes.
        NotAMember: someone listed is not a member of the council.
        AttendanceTooLow: fewer people present than members listed.
        ConsultationFinished: the consultation is closed or cancelled.
    """
    council = consultation.council
    _guard_minutes(actor, council)
    member_ids = {m.pk for m in members}
    if member_ids - set(rules.members(council).values_list("pk", flat=True)):
        raise NotAMember
    if attendance_count < len(member_ids):
        raise AttendanceTooLow
    with transaction.atomic():
        consultation = _lock_consultation(consultation)
        if consultation.status != ConsultationStatus.SCHEDULED:
            raise ConsultationFinished
        consultation.attendances.exclude(member_id__in=member_ids).delete()
        present = set(consultation.attendances.values_list("member_id", flat=True))
        Attendance.objects.bulk_create(
            [
                Attendance(consultation=consultation, member_id=pk, recorded_by=actor)
                for pk in sorted(member_ids - present)
            ]
        )
        consultation.attendance_count = attendance_count
        consultation.save(update_fields=["attendance_count"])
        audit.record(
            actor=actor,
            verb="consultation.attendance",
            target=consultation,
            region=council.community,
            data={"members": len(member_ids), "people": attendance_count},
        )
    return consultation


# --- Closing --------------------------------------------------------------------------------


def _tally(consultation: Consultation, member_ids: set[int]) -> dict[int, Counter]:
    """Votes per item and choice, counting only the votes of people who are members now."""
    rows = Vote.objects.filter(item__consultation=consultation, member_id__in=member_ids)
    counts: dict[int, Counter] = {}
    for item_id, choice in rows.values_list("item_id", "choice"):
        counts.setdefault(item_id, Counter())[choice] += 1
    return counts


def consultation_close(
    *,
    actor: User | None,
    consultation: Consultation,
    summary: str = "",
    now: datetime | None = None,
) -> Consultation:
    """Close a consultation after voting ended: compute every item's result from the
    votes, move the proposals (approved, rejected, or still tabled for the next meeting
    when there was no quorum), and accept projects the council accepted. *actor* None is
    the periodic task. Closing a closed consultation is a no-op.

    Raises:
        NotPermitted: *actor* does not keep the council's minutes.
        ConsultationNotOver: voting has not ended yet.
        InvalidTransition: the consultation was cancelled.
    """
    now = now or timezone.now()
    if actor is not None:
        _guard_minutes(actor, consultation.council)
    with transaction.atomic():
        consultation = _lock_consultation(consultation)
        if consultation.status == ConsultationStatus.CLOSED:
            return consultation
        if consultation.status != ConsultationStatus.SCHEDULED:
            raise InvalidTransition(current=consultation.get_status_display())
        if now < consultation.ends_at:
            raise ConsultationNotOver
        council = consultation.council
        items = list(
            AgendaItem.objects.select_for_update()
            .filter(consultation=consultation, result=ItemResult.PENDING)
            .order_by("pk")
        )
        member_ids = set(rules.members(council).values_list("pk", flat=True))
        counts = _tally(consultation, member_ids)
        results: dict[str, int] = Counter()
        for item in items:
            tally = counts.get(item.pk, Counter())
            item.votes_for = tally[VoteChoice.FOR]
            item.votes_against = tally[VoteChoice.AGAINST]
            item.votes_abstain = tally[VoteChoice.ABSTAIN]
            item.electorate = len(member_ids)
            item.result = count_result(
                votes_for=item.votes_for,
                votes_against=item.votes_against,
                votes_abstain=item.votes_abstain,
                electorate=item.electorate,
                quorum_percent=council.quorum_percent,
                majority=council.majority,
            )
            item.decided_at = now
            item.save(
                update_fields=[
                    "votes_for",
                    "votes_against",
                    "votes_abstain",
                    "electorate",
                    "result",
                    "decided_at",
                ]
            )
            results[item.result] += 1
        for item in sorted(items, key=lambda i: i.proposal_id):
            _settle(item, actor=actor, council=council, consultation=consultation, now=now)
        if summary:
            consultation.summary = summary
        consultation.closed_at = now
        CONSULTATION.move(
            consultation,
            ConsultationStatus.CLOSED,
            actor=actor,
            region=council.community,
            data={"items": len(items), **{str(k): v for k, v in results.items()}},
            update_fields=["closed_at", "summary"],
        )
    return consultation


def _settle(
    item: AgendaItem,
    *,
    actor: User | None,
    council: Council,
    consultation: Consultation,
    now: datetime,
) -> None:
    """What an item's result does to its proposal or project (inside the close)."""
    if item.kind == ItemKind.ACCEPTANCE:
        if item.result == ItemResult.PASSED:
            # Written by the delivery part; imported late so this module stands alone.
            from projects.services.delivery import project_accept_by_vote

            project_accept_by_vote(item=item, now=now)
        return
    proposal = Proposal.objects.select_for_update().get(pk=item.proposal_id)
    target = {
        ItemResult.PASSED: ProposalStatus.APPROVED,
        ItemResult.REJECTED: ProposalStatus.REJECTED,
    }.get(item.result)
    if target is None:
        # No quorum: still tabled, it goes on the next meeting (now if one is called).
        if proposal.status == ProposalStatus.TABLED:
            agenda.table(proposal=proposal, actor=actor, now=now)
        return
    # A proposal withdrawn or merged while the meeting ran keeps that status.
    if PROPOSAL.can(proposal, target):
        PROPOSAL.move(
            proposal,
            target,
            actor=actor,
            reason=consultation.title,
            region=council.community,
            data={"item": item.pk},
        )


def consultation_cancel(
    *, actor: User, consultation: Consultation, reason: str, now: datetime | None = None
) -> Consultation:
    """Cancel a consultation before it is closed; its proposals stay tabled and go to the
    next meeting. Cancelling twice is a no-op.

    Raises:
        NotPermitted: *actor* does not keep the council's minutes.
        ReasonRequired: no reason given.
        InvalidTransition: the consultation is already closed.
    """
    now = now or timezone.now()
    _guard_minutes(actor, consultation.council)
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired
    with transaction.atomic():
        consultation = _lock_consultation(consultation)
        if consultation.status == ConsultationStatus.CANCELLED:
            return consultation
        consultation.cancel_reason = reason[:200]
        CONSULTATION.move(
            consultation,
            ConsultationStatus.CANCELLED,
            actor=actor,
            reason=reason,
            region=consultation.council.community,
            update_fields=["cancel_reason"],
        )
        pending = (
            consultation.items.filter(result=ItemResult.PENDING, kind=ItemKind.DECISION)
            .order_by("proposal_id")
            .values_list("proposal_id", flat=True)
        )
        for proposal in Proposal.objects.select_for_update().filter(pk__in=list(pending)):
            if proposal.status == ProposalStatus.TABLED:
                agenda.table(proposal=proposal, actor=actor, now=now)
    return consultation


def consultations_close_due(*, now: datetime | None = None) -> int:
    """Close every scheduled consultation whose voting ended more than
    ``PROJECTS_AUTO_CLOSE_DAYS`` ago (the secretary forgot); returns how many were closed.
    One that fails is logged and left for the next run."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PROJECTS_AUTO_CLOSE_DAYS)
    due = Consultation.objects.filter(
        status=ConsultationStatus.SCHEDULED, ends_at__lt=cutoff
    ).order_by("pk")
    closed = 0
    for consultation in due.select_related("council"):
        try:
            consultation_close(actor=None, consultation=consultation, now=now)
        except Exception:
            logger.exception("closing consultation %s failed", consultation.pk)
            continue
        closed += 1
    return closed
