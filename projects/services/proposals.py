"""Write operations of proposals: propose, support, table, merge, withdraw.

Each service: guard (who, in which community, which state) → one transaction with the
proposal row locked (two rows, in pk order, for a merge) → re-check → change → audit →
tabling through ``projects.services.agenda`` when the supporters reach the threshold.
``support_count`` is only ever changed under the proposal's row lock.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import audit
from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import Region, User
from projects import rules
from projects.exceptions import (
    AlreadySupported,
    CannotMerge,
    LivesHereRequired,
    NoCouncil,
    NotACommunity,
    NotOpenForSupport,
    OnAgenda,
    OwnSupport,
    ProposalIncomplete,
    ReasonRequired,
)
from projects.models import AgendaItem, Category, Council, Proposal, ProposalStatus, Support
from projects.rules import PROPOSAL
from projects.services import agenda

SUPPORTABLE = (ProposalStatus.OPEN, ProposalStatus.TABLED)
THRESHOLD_REASON = "support threshold"


def _require_signed_in(actor: User | None) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotPermitted()


def _lock(proposal: Proposal) -> Proposal:
    """The proposal's own row, locked and re-read (its community comes along unlocked)."""
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=proposal.pk)
    )


def _threshold(proposal: Proposal) -> int:
    threshold = (
        Council.objects.filter(community_id=proposal.community_id)
        .values_list("support_threshold", flat=True)
        .first()
    )
    if threshold is None:
        raise NoCouncil()
    return threshold


def _table_if_reached(proposal: Proposal, threshold: int, now) -> AgendaItem | None:
    """Caller holds the proposal's row lock."""
    if proposal.status == ProposalStatus.OPEN and proposal.support_count >= threshold:
        return agenda.table(proposal=proposal, actor=None, reason=THRESHOLD_REASON, now=now)
    return None


def proposal_create(
    *,
    actor: User,
    community: Region,
    title: str,
    problem: str,
    solution: str,
    category: str,
    estimated_budget: Decimal,
    beneficiaries: str,
    beneficiary_count: int,
    now=None,
) -> Proposal:
    """Raise a proposal for *community*; the proposer is its first supporter.

    Raises:
        NotPermitted: *actor* is not a signed-in, active user.
        NotACommunity: *community* is a town or the city.
        NoCouncil: the community has no council to decide it.
        ProposalIncomplete: a text left empty, an unknown category, a negative budget or
            no one to benefit.
    """
    _require_signed_in(actor)
    if (
        not all(text.strip() for text in (title, problem, solution, beneficiaries))
        or category not in Category.values
        or estimated_budget is None
        or Decimal(estimated_budget) < 0
        or beneficiary_count < 1
    ):
        raise ProposalIncomplete()
    if not rules.is_community(community):
        raise NotACommunity()
    council = Council.objects.filter(community=community).first()
    if council is None:
        raise NoCouncil()
    now = now or timezone.now()
    with transaction.atomic():
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    proposal = Proposal.objects.create(
                        reference=rules.new_reference("P"),
                        community=community,
                        title=title.strip(),
                        problem=problem.strip(),
                        solution=solution.strip(),
                        category=category,
                        estimated_budget=estimated_budget,
                        beneficiaries=beneficiaries.strip(),
                        beneficiary_count=beneficiary_count,
                        proposed_by=actor,
                        support_count=1,
                        created_at=now,
                    )
                    break
            except IntegrityError:  # a reference collision: draw again
                continue
        else:  # pragma: no cover - three collisions in a row
            raise IntegrityError("could not allocate a proposal reference")
        Support.objects.create(proposal=proposal, supporter=actor, created_at=now)
        audit.record(
            actor=actor,
            verb="proposal.created",
            target=proposal,
            region=community,
            data={"reference": proposal.reference, "category": category},
        )
        _table_if_reached(proposal, council.support_threshold, now)
    return proposal


def proposal_support(*, actor: User, proposal: Proposal, lives_here: bool, now=None) -> Proposal:
    """Add *actor*'s support; the one that reaches the council's threshold tables it.

    Raises:
        NotPermitted: not a signed-in, active user.
        LivesHereRequired: *actor* did not confirm living or working in the community.
        NotOpenForSupport: the proposal is neither open nor tabled.
        AlreadySupported: *actor* supports it already (also when a concurrent request won).
    """
    _require_signed_in(actor)
    if not lives_here:
        raise LivesHereRequired()
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(proposal)
        if locked.status not in SUPPORTABLE:
            raise NotOpenForSupport()
        if Support.objects.filter(proposal=locked, supporter=actor).exists():
            raise AlreadySupported()
        try:
            with transaction.atomic():
                Support.objects.create(proposal=locked, supporter=actor, created_at=now)
        except IntegrityError as exc:  # the UNIQUE (proposal, supporter) fired in a race
            raise AlreadySupported() from exc
        Proposal.objects.filter(pk=locked.pk).update(support_count=F("support_count") + 1)
        locked.refresh_from_db(fields=["support_count"])
        audit.record(
            actor=actor,
            verb="proposal.supported",
            target=locked,
            region=locked.community,
            data={"supporters": locked.support_count},
        )
        _table_if_reached(locked, _threshold(locked), now)
    return locked


def proposal_unsupport(*, actor: User, proposal: Proposal) -> Proposal:
    """Withdraw *actor*'s support while the proposal is open. No-op if there is none.

    Raises:
        NotPermitted: not a signed-in, active user.
        NotOpenForSupport: the proposal is no longer open.
        OwnSupport: the proposer's own support stays.
    """
    _require_signed_in(actor)
    with transaction.atomic():
        locked = _lock(proposal)
        if locked.proposed_by_id == actor.pk:
            raise OwnSupport()
        if locked.status != ProposalStatus.OPEN:
            raise NotOpenForSupport()
        deleted, _rows = Support.objects.filter(proposal=locked, supporter=actor).delete()
        if not deleted:
            return locked
        Proposal.objects.filter(pk=locked.pk).update(support_count=F("support_count") - 1)
        locked.refresh_from_db(fields=["support_count"])
        audit.record(
            actor=actor,
            verb="proposal.unsupported",
            target=locked,
            region=locked.community,
            data={"supporters": locked.support_count},
        )
    return locked


def proposal_table(*, actor: User, proposal: Proposal, reason: str = "") -> AgendaItem | None:
    """Table a proposal directly (a council member or the station), putting it on the
    council's next meeting if one is scheduled. Tabling a tabled one only puts it on the
    next meeting if it is on none.

    Raises:
        NotPermitted: *actor* may not table proposals in its community.
        InvalidTransition: the proposal is merged, withdrawn or approved.
    """
    if not rules.may_table(actor, proposal.community):
        raise NotPermitted()
    with transaction.atomic():
        locked = _lock(proposal)
        return agenda.table(proposal=locked, actor=actor, reason=reason.strip())


def proposal_merge(*, actor: User, proposal: Proposal, into: Proposal, reason: str) -> Proposal:
    """Merge *proposal* into *into*: its supporters (counted once) and its history go along,
    and it is closed as merged. Returns *into*.

    Raises:
        NotPermitted: *actor* may not table proposals in the community.
        ReasonRequired: no reason given.
        CannotMerge: the same proposal, another community, or not open or tabled.
        OnAgenda: *proposal* is on a consultation still to vote on it.
    """
    if not rules.may_table(actor, proposal.community):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if proposal.pk == into.pk or proposal.community_id != into.community_id:
        raise CannotMerge()
    now = timezone.now()
    with transaction.atomic():
        first, second = sorted((proposal, into), key=lambda p: p.pk)
        locked = {p.pk: _lock(p) for p in (first, second)}
        absorbed, target = locked[proposal.pk], locked[into.pk]
        if absorbed.status not in SUPPORTABLE or target.status not in SUPPORTABLE:
            raise CannotMerge()
        if agenda.pending_item(absorbed) is not None:
            raise OnAgenda()
        already = set(
            Support.objects.filter(proposal=target).values_list("supporter_id", flat=True)
        )
        carried = [
            Support(
                proposal=target, supporter_id=supporter_id, carried_from=absorbed, created_at=now
            )
            for supporter_id in absorbed.supports.values_list("supporter_id", flat=True)
            if supporter_id not in already
        ]
        Support.objects.bulk_create(carried, ignore_conflicts=True)
        target.support_count = Support.objects.filter(proposal=target).count()
        target.save(update_fields=["support_count"])
        absorbed.merged_into = target
        PROPOSAL.move(
            absorbed,
            ProposalStatus.MERGED,
            actor=actor,
            reason=reason,
            region=absorbed.community,
            data={"into": target.reference, "carried": len(carried)},
            update_fields=["merged_into"],
        )
        audit.record(
            actor=actor,
            verb="proposal.merge_received",
            target=target,
            region=target.community,
            reason=reason,
            data={
                "from": absorbed.reference,
                "carried": len(carried),
                "supporters": target.support_count,
            },
        )
        _table_if_reached(target, _threshold(target), now)
    return target


def proposal_withdraw(*, actor: User, proposal: Proposal, reason: str) -> Proposal:
    """Withdraw a proposal (its proposer, or a council member or the station).

    Raises:
        NotPermitted: neither the proposer nor allowed to table in the community.
        ReasonRequired: no reason given.
        OnAgenda: it is on a consultation still to vote on it.
        InvalidTransition: it is neither open nor tabled.
    """
    if proposal.proposed_by_id != getattr(actor, "pk", None) and not rules.may_table(
        actor, proposal.community
    ):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        locked = _lock(proposal)
        if locked.status == ProposalStatus.WITHDRAWN:
            return locked
        if locked.status not in SUPPORTABLE:
            raise InvalidTransition(current=locked.get_status_display())
        if agenda.pending_item(locked) is not None:
            raise OnAgenda()
        PROPOSAL.move(
            locked,
            ProposalStatus.WITHDRAWN,
            actor=actor,
            reason=reason,
            region=locked.community,
            data={"reference": locked.reference},
        )
    return locked
