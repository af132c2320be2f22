"""A project's life after the vote: the decision, town review, publishing, progress,
acceptance (验收), beneficiaries' ratings, cancelling and deadline reminders.

Locks: this module takes the project's row lock first and the listing's after it (through
the marketplace's services), never the other way; the marketplace itself locks listing →
line → pledge and never touches a project.
"""

import calendar
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import Organisation, Region, Station, User
from accounts.roles import Role
from feedback import services as feedback
from feedback.models import ConfirmationLink, Rating, RatingChannel
from marketplace import staff_services
from marketplace.models import LineKind, ListingKind
from marketplace.services import LineSpec, listing_publish
from projects import rules
from projects.exceptions import (
    BadDeadline,
    BodyRequired,
    EvidenceRequired,
    ImplementerRequired,
    LinesRequired,
    NotAccepted,
    NotFunded,
    NotPassed,
    PercentBackwards,
    PercentOutOfRange,
    ProjectExists,
    ReasonRequired,
)
from projects.models import (
    ACCEPTABLE_LISTING,
    RUNNING,
    Acceptance,
    AcceptanceMethod,
    AgendaItem,
    ConsultationStatus,
    Council,
    ImplementerKind,
    ItemKind,
    ItemResult,
    ProgressUpdate,
    Project,
    ProjectLine,
    ProjectStatus,
    Proposal,
)
from projects.rules import PROJECT
from projects.services import notify

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LineInput:
    kind: str  # "money" | "goods" | "service"
    description: str
    target: Decimal


def add_months(day: date, months: int) -> date:
    """*day* plus *months* calendar months, the day clamped to the month's end
    (31 August + 6 months is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Who may ---------------------------------------------------------------------------


def is_secretary(user: User, project: Project) -> bool:
    """The secretary of the council of the project's community (and still a member)."""
    council = Council.objects.filter(community_id=project.community_id).first()
    return (
        council is not None
        and council.secretary_id is not None
        and council.secretary_id == getattr(user, "pk", None)
        and rules.is_member(user, council)
    )


def may_post_progress(user: User, project: Project) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return rules.may_run(user, project.community) or is_secretary(user, project)


# --- The decision ----------------------------------------------------------------------


def _clean_decision(
    *,
    community: Region,
    description: str,
    beneficiaries: str,
    implementer_kind: str,
    station: Station | None,
    organisation: Organisation | None,
    implementer_name: str,
    delivery_way: str,
    deadline_months: int,
    lines: Sequence[LineInput],
) -> dict:
    if not lines:
        raise LinesRequired()
    for line in lines:
        if line.kind not in LineKind.values or line.target is None or line.target <= 0:
            raise LinesRequired()
    implementer_name = (implementer_name or "").strip()
    if implementer_kind == ImplementerKind.STATION:
        if station is None or station.community_id != community.pk:
            raise ImplementerRequired()
        organisation, implementer_name = None, ""
    elif implementer_kind == ImplementerKind.ORGANISATION:
        if organisation is None or not organisation.is_verified:
            raise ImplementerRequired()
        station, implementer_name = None, ""
    elif implementer_kind in (ImplementerKind.CONTRACTOR, ImplementerKind.VOLUNTEERS):
        if not implementer_name:
            raise ImplementerRequired()
        station, organisation = None, None
    else:
        raise ImplementerRequired()
    try:
        months = int(deadline_months)
    except (TypeError, ValueError):
        raise BadDeadline() from None
    if not 1 <= months <= 24:
        raise BadDeadline()
    return {
        "description": (description or "").strip(),
        "beneficiaries": (beneficiaries or "").strip(),
        "implementer_kind": implementer_kind,
        "station": station,
        "organisation": organisation,
        "implementer_name": implementer_name,
        "delivery_way": (delivery_way or "").strip(),
        "deadline_months": months,
    }


def _lines_create(project: Project, lines: Sequence[LineInput]) -> None:
    ProjectLine.objects.bulk_create(
        [
            ProjectLine(
                project=project,
                kind=line.kind,
                description=(line.description or "").strip(),
                target=line.target,
            )
            for line in lines
        ]
    )


def project_decide(
    *,
    actor: User,
    item: AgendaItem,
    description: str,
    beneficiaries: str,
    beneficiary_count: int,
    implementer_kind: str,
    station: Station | None = None,
    organisation: Organisation | None = None,
    implementer_name: str = "",
    delivery_way: str,
    deadline_months: int = 6,
    lines: list[LineInput],
) -> Project:
    """The secretary writes down what the council decided on a passed item: the project,
    submitted to the town for review. The town's reviewers are emailed.

    Raises:
        NotPermitted: not the council's secretary (or a reviewer of its town).
        NotPassed: not a decision item the council passed at a closed consultation.
        ProjectExists: a project was already decided for the proposal.
        LinesRequired: no budget line (or one without a positive amount).
        ImplementerRequired: the implementer is not named, or the station is not the
            community's, or the organisation is not verified.
    """
    item = AgendaItem.objects.select_related("consultation__council__community", "proposal").get(
        pk=item.pk
    )
    council = item.consultation.council
    if not rules.may_keep_minutes(actor, council):
        raise NotPermitted()
    if (
        item.kind != ItemKind.DECISION
        or item.result != ItemResult.PASSED
        or item.consultation.status != ConsultationStatus.CLOSED
    ):
        raise NotPassed()
    community = council.community
    fields = _clean_decision(
        community=community,
        description=description,
        beneficiaries=beneficiaries,
        implementer_kind=implementer_kind,
        station=station,
        organisation=organisation,
        implementer_name=implementer_name,
        delivery_way=delivery_way,
        deadline_months=deadline_months,
        lines=lines,
    )
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=item.proposal_id)
        if Project.objects.filter(proposal=proposal).exists() or (
            Project.objects.filter(decided_by=item).exists()
        ):
            raise ProjectExists()
        project = Project.objects.create(
            proposal=proposal,
            decided_by=item,
            reference=rules.new_reference("MP"),
            community=community,
            title=proposal.title,
            category=proposal.category,
            beneficiary_count=int(beneficiary_count),
            status=ProjectStatus.SUBMITTED,
            **fields,
        )
        _lines_create(project, lines)
        audit.record(
            actor=actor,
            verb="project.decided",
            target=project,
            region=community,
            data={"item": item.pk, "proposal": proposal.reference, "lines": len(lines)},
        )
        notify.mail_on_commit(notify.holders(Role.TOWN_REVIEWER, community), "submitted", project)
    return project


def project_revise(
    *,
    actor: User,
    project: Project,
    description: str,
    beneficiaries: str,
    beneficiary_count: int,
    implementer_kind: str,
    station: Station | None = None,
    organisation: Organisation | None = None,
    implementer_name: str = "",
    delivery_way: str,
    deadline_months: int = 6,
    lines: list[LineInput],
) -> Project:
    """The secretary revises a decision the town sent back and submits it again (the budget
    lines are replaced).

    Raises:
        NotPermitted: not the council's secretary (or a reviewer of its town).
        InvalidTransition: the project was not sent back.
        LinesRequired, ImplementerRequired: as :func:`project_decide`.
    """
    project = Project.objects.select_related("community", "decided_by__consultation__council").get(
        pk=project.pk
    )
    if not rules.may_keep_minutes(actor, project.decided_by.consultation.council):
        raise NotPermitted()
    fields = _clean_decision(
        community=project.community,
        description=description,
        beneficiaries=beneficiaries,
        implementer_kind=implementer_kind,
        station=station,
        organisation=organisation,
        implementer_name=implementer_name,
        delivery_way=delivery_way,
        deadline_months=deadline_months,
        lines=lines,
    )
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.status != ProjectStatus.SENT_BACK:
            raise InvalidTransition(current=project.get_status_display())
        for name, value in fields.items():
            setattr(project, name, value)
        project.beneficiary_count = int(beneficiary_count)
        project.submitted_at = timezone.now()
        project.lines.all().delete()
        _lines_create(project, lines)
        PROJECT.move(
            project,
            ProjectStatus.SUBMITTED,
            actor=actor,
            region=project.community,
            data={"lines": len(lines)},
            update_fields=[*fields, "beneficiary_count", "submitted_at"],
        )
        notify.mail_on_commit(
            notify.holders(Role.TOWN_REVIEWER, project.community), "submitted", project
        )
    return project


# --- Town review -----------------------------------------------------------------------


def _lock_project(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("community", "station", "listing")
        .get(pk=project.pk)
    )


def project_approve(*, actor: User, project: Project, now=None) -> Project:
    """The town approves the decision: the project is published as a marketplace listing
    (kind "project") with its lines, open for support until its deadline (approval +
    ``deadline_months`` calendar months). Idempotent.

    Raises:
        NotPermitted: not a reviewer of the project's area.
        InvalidTransition: not awaiting review.
    """
    if not rules.may_review(actor, project.community):
        raise NotPermitted()
    now = now or timezone.now()
    with transaction.atomic():
        project = _lock_project(project)
        if project.status == ProjectStatus.FUNDING and project.listing_id:
            return project
        if project.status != ProjectStatus.SUBMITTED:
            raise InvalidTransition(current=project.get_status_display())
        project.approved_at = now
        project.deadline = add_months(timezone.localdate(now), project.deadline_months)
        story = project.description
        if project.beneficiaries:
            story = f"{story}\n\n{project.beneficiaries}"
        project.listing = listing_publish(
            source=project,
            kind=ListingKind.PROJECT,
            title=project.title,
            story=story[:4000],
            category=project.category,
            community=project.community,
            station=project.station,
            deadline=project.deadline,
            lines=[
                LineSpec(kind=line.kind, target=line.target, description=line.description)
                for line in project.lines.all()
            ],
            offered=True,
        )
        PROJECT.move(
            project,
            ProjectStatus.FUNDING,
            actor=actor,
            region=project.community,
            data={"listing": project.listing.reference, "deadline": project.deadline.isoformat()},
            update_fields=["approved_at", "deadline", "listing"],
        )
    return project


def project_send_back(*, actor: User, project: Project, reason: str) -> Project:
    """The town sends the decision back to the council with a reason (shown to it).

    Raises:
        NotPermitted: not a reviewer of the project's area.
        ReasonRequired: no reason.
        InvalidTransition: not awaiting review.
    """
    if not rules.may_review(actor, project.community):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        project = _lock_project(project)
        if project.status != ProjectStatus.SUBMITTED:
            raise InvalidTransition(current=project.get_status_display())
        PROJECT.move(
            project, ProjectStatus.SENT_BACK, actor=actor, reason=reason, region=project.community
        )
    return project


def send_back_reason(project: Project) -> str:
    """The town's latest reason for sending *project* back (from the audit trail)."""
    from accounts.models import AuditEvent

    event = (
        AuditEvent.objects.for_object(project)
        .filter(verb="project.sent_back")
        .order_by("-created_at", "-pk")
        .first()
    )
    return event.reason if event else ""


# --- Progress --------------------------------------------------------------------------


def progress_post(
    *,
    actor: User,
    project: Project,
    body: str,
    percent: int,
    milestone: str = "",
    photos: Sequence = (),
    no_personal_data: bool = False,
    now=None,
) -> ProgressUpdate:
    """Post a public progress note. The first one moves a funding project in progress.

    Raises:
        NotPermitted: not station staff of the community nor the council's secretary.
        InvalidTransition: the project is not running (funding or in progress).
        PercentOutOfRange: not 0 to 100.
        PercentBackwards: below the project's current percentage.
        (and the photo service's errors for a bad photo)
    """
    if not may_post_progress(actor, project):
        raise NotPermitted()
    try:
        percent = int(percent)
    except (TypeError, ValueError):
        raise PercentOutOfRange() from None
    if not 0 <= percent <= 100:
        raise PercentOutOfRange()
    body = (body or "").strip()
    if not body:
        raise BodyRequired()
    with transaction.atomic():
        project = _lock_project(project)
        if project.status not in RUNNING:
            raise InvalidTransition(current=project.get_status_display())
        if percent < project.percent_complete:
            raise PercentBackwards(percent=project.percent_complete)
        update = ProgressUpdate.objects.create(
            project=project,
            body=body,
            milestone=(milestone or "").strip(),
            percent=percent,
            posted_by=actor,
            posted_at=now or timezone.now(),
        )
        project.percent_complete = percent
        if project.status == ProjectStatus.FUNDING:
            PROJECT.move(
                project,
                ProjectStatus.IN_PROGRESS,
                actor=actor,
                region=project.community,
                update_fields=["percent_complete"],
            )
        else:
            project.save(update_fields=["percent_complete"])
        _photos_add(actor, project, photos, no_personal_data, update=update)
        audit.record(
            actor=actor,
            verb="project.progress",
            target=project,
            region=project.community,
            data={"update": update.pk, "percent": percent, "photos": len(photos)},
        )
    return update


def _photos_add(actor, project, photos, no_personal_data, **context) -> None:
    if not photos:
        return
    from projects.services.photos import photo_add

    for upload in photos:
        photo_add(
            actor=actor,
            proposal=project.proposal,
            upload=upload,
            no_personal_data=no_personal_data,
            **context,
        )


# --- Acceptance (验收) ------------------------------------------------------------------


def project_accept_record(
    *,
    actor: User,
    project: Project,
    note: str,
    photos: Sequence = (),
    no_personal_data: bool = False,
    now=None,
) -> Acceptance:
    """Station staff record that the community accepted the finished work, with evidence.

    Raises:
        NotPermitted: not station staff of the community.
        EvidenceRequired: no note of what was checked.
        InvalidTransition: the project is not running (or already accepted).
        NotFunded: its listing is not fully pledged yet.
    """
    if not rules.may_run(actor, project.community):
        raise NotPermitted()
    note = (note or "").strip()
    if not note:
        raise EvidenceRequired()
    with transaction.atomic():
        project = _lock_project(project)
        if project.status not in RUNNING:
            raise InvalidTransition(current=project.get_status_display())
        if project.listing.status not in ACCEPTABLE_LISTING:
            raise NotFunded()
        acceptance = Acceptance.objects.create(
            project=project,
            method=AcceptanceMethod.STAFF_RECORD,
            note=note,
            recorded_by=actor,
            accepted_at=now or timezone.now(),
        )
        _accept(project, acceptance, actor=actor)
        _photos_add(actor, project, photos, no_personal_data, acceptance=acceptance)
    return acceptance


def project_accept_by_vote(*, item: AgendaItem, now=None) -> Acceptance | None:
    """The council passed an acceptance item: the project is accepted. Called inside
    ``consultation_close``'s transaction; never raises for a project that can no longer be
    accepted (cancelled, already accepted, not funded): it records why and returns None.
    """
    now = now or timezone.now()
    if item.kind != ItemKind.ACCEPTANCE or item.result != ItemResult.PASSED:
        return None
    project = Project.objects.filter(proposal_id=item.proposal_id).first()
    if project is None:
        return None
    with transaction.atomic():
        project = _lock_project(project)
        why = ""
        if project.status not in RUNNING:
            why = f"status {project.status}"
        elif project.listing.status not in ACCEPTABLE_LISTING:
            why = f"listing {project.listing.status}"
        if why:
            audit.record(
                actor=None,
                verb="project.accept_skipped",
                target=project,
                region=project.community,
                reason=why,
                data={"item": item.pk},
            )
            return None
        acceptance = Acceptance.objects.create(
            project=project, method=AcceptanceMethod.COUNCIL_VOTE, item=item, accepted_at=now
        )
        _accept(project, acceptance, actor=None)
    return acceptance


def _accept(project: Project, acceptance: Acceptance, *, actor: User | None) -> None:
    """Caller holds the project's row lock, inside a transaction."""
    project.percent_complete = 100
    project.accepted_at = acceptance.accepted_at
    PROJECT.move(
        project,
        ProjectStatus.ACCEPTED,
        actor=actor,
        region=project.community,
        data={
            "method": acceptance.method,
            "acceptance": acceptance.pk,
            "item": acceptance.item_id,
        },
        update_fields=["percent_complete", "accepted_at"],
    )  # audited as "project.accepted"
    staff_services.listing_accepted(
        listing=project.listing, actor=actor, note=acceptance.note or project.reference
    )


# --- Ratings by several beneficiaries --------------------------------------------------


def _accepted(project: Project) -> Project:
    project = Project.objects.select_related("listing", "community").get(pk=project.pk)
    if project.status != ProjectStatus.ACCEPTED or project.listing is None:
        raise NotAccepted()
    return project


def project_survey_send(
    *, actor: User, project: Project, channel: str, addresses: list[str], language: str
) -> list[ConfirmationLink]:
    """Send the accepted project's beneficiaries one-time survey links (one per address).

    Raises:
        NotAccepted: the project is not accepted.
        (and :func:`feedback.services.survey_links_send`'s errors)
    """
    project = _accepted(project)
    return feedback.survey_links_send(
        listing=project.listing,
        actor=actor,
        channel=channel,
        addresses=addresses,
        language=language,
    )


def project_rating_record(
    *,
    actor: User,
    project: Project,
    score: int,
    received: bool = True,
    comment: str = "",
    complaint: str = "",
    channel: str = RatingChannel.FOLLOW_UP_VISIT,
) -> Rating:
    """Station staff record a beneficiary's rating of the accepted project.

    Raises:
        NotAccepted: the project is not accepted.
        (and :func:`feedback.services.rating_record`'s errors)
    """
    project = _accepted(project)
    return feedback.rating_record(
        actor=actor,
        listing=project.listing,
        score=score,
        received=received,
        comment=comment,
        complaint=complaint,
        channel=channel,
    )


# --- Cancelling ------------------------------------------------------------------------


def project_cancel(*, actor: User, project: Project, reason: str) -> Project:
    """The town cancels a project with a public reason; its listing is cancelled too
    (claims released, pledges cancelled, payments refunded after the commit). Idempotent.

    Raises:
        NotPermitted: not a reviewer of the project's area.
        ReasonRequired: no reason.
        InvalidTransition: the project is accepted, or its listing is in delivery or
            delivered (the marketplace's refusal).
    """
    if not rules.may_review(actor, project.community):
        raise NotPermitted()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    with transaction.atomic():
        project = _lock_project(project)
        if project.status == ProjectStatus.CANCELLED:
            return project
        if project.status == ProjectStatus.ACCEPTED:
            raise InvalidTransition(current=project.get_status_display())
        if project.listing_id:
            project.listing = staff_services.listing_cancel(
                actor=actor, listing=project.listing, reason=reason
            )
        project.cancel_reason = reason[:300]
        project.cancelled_at = timezone.now()
        PROJECT.move(
            project,
            ProjectStatus.CANCELLED,
            actor=actor,
            reason=reason,
            region=project.community,
            update_fields=["cancel_reason", "cancelled_at"],
        )
    return project
