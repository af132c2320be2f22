"""Calling consultations, their agenda and attendance, closing with computed results,
cancelling, and the periodic close."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import AuditEvent
from projects.exceptions import (
    AgendaClosed,
    AttendanceTooLow,
    BadWindow,
    ConsultationFinished,
    ConsultationNotOver,
    NotAMember,
    NotFunded,
    NotTableable,
    OnAgenda,
    ReasonRequired,
    StartsInPast,
)
from projects.models import (
    ConsultationStatus,
    ItemKind,
    ItemResult,
    ProposalStatus,
)
from projects.services import consultations as services
from projects.services import proposals
from tests.projects.consultations_fixtures import meeting, tabled
from tests.projects.proposals_fixtures import propose

pytestmark = pytest.mark.django_db


def vote_all(item, members, choices):
    for member, choice in zip(members, choices, strict=False):
        services.vote_cast(actor=member, item=item, choice=choice)


# --- Calling a meeting ----------------------------------------------------------------------


def test_create_pulls_the_tabled_proposals_waiting(councils):
    # Given two tabled proposals of the north council and one of the south
    first, second = tabled(councils), tabled(councils)
    tabled(councils, council=councils.south)
    # When a member calls a meeting
    consultation = meeting(councils, actor=councils.members[2])
    # Then its agenda holds the north's two, oldest first, as decisions
    items = list(consultation.items.order_by("position"))
    assert [i.proposal for i in items] == [first, second]
    assert {i.kind for i in items} == {ItemKind.DECISION}
    assert AuditEvent.objects.filter(verb="consultation.create").count() == 1
    # And a second meeting does not take them again
    assert meeting(councils).items.count() == 0


def test_a_proposal_tabled_later_goes_on_the_scheduled_meeting(councils):
    consultation = meeting(councils)
    proposal = tabled(councils)
    assert consultation.items.get().proposal == proposal


def test_create_is_refused_to_outsiders_and_bad_windows(councils):
    now = timezone.now()
    kwargs = {
        "council": councils.north,
        "form": "online",
        "title": "议事会",
        "place": "线上",
    }
    day = timedelta(days=1)
    with pytest.raises(NotPermitted):
        services.consultation_create(
            actor=councils.south_members[0], starts_at=now + day, ends_at=now + 2 * day, **kwargs
        )
    with pytest.raises(NotPermitted):
        services.consultation_create(
            actor=councils.resident, starts_at=now + day, ends_at=now + 2 * day, **kwargs
        )
    with pytest.raises(BadWindow):
        services.consultation_create(
            actor=councils.members[1], starts_at=now + day, ends_at=now + day, **kwargs
        )
    with pytest.raises(StartsInPast):
        services.consultation_create(
            actor=councils.members[1], starts_at=now - day, ends_at=now + day, **kwargs
        )
    # A town reviewer keeps the minutes and may call one too.
    assert services.consultation_create(
        actor=councils.reviewer, starts_at=now + day, ends_at=now + 2 * day, **kwargs
    ).pk


# --- The agenda -----------------------------------------------------------------------------


def test_agenda_add_and_remove_before_voting(councils):
    consultation = meeting(councils)
    proposal = tabled(councils)  # lands on the meeting
    item = consultation.items.get()
    services.agenda_remove(actor=councils.secretary, item=item)
    assert not consultation.items.exists()
    services.agenda_remove(actor=councils.secretary, item=item)  # again: a no-op
    added = services.agenda_add(
        actor=councils.secretary, consultation=consultation, proposal=proposal
    )
    assert added.kind == ItemKind.DECISION
    # Idempotent: the same question is asked once.
    assert (
        services.agenda_add(actor=councils.secretary, consultation=consultation, proposal=proposal)
        == added
    )


def test_agenda_guards(councils):
    tabled(councils)
    open_meeting = meeting(councils, when="open")  # takes the tabled proposal
    consultation = meeting(councils)
    other = meeting(councils, title="另一场")
    proposal = tabled(councils)  # lands on the earliest meeting still to vote
    fresh = propose(councils.resident, councils.north.community)
    south = tabled(councils, council=councils.south)
    # Only the secretary (or a town reviewer) edits the agenda
    with pytest.raises(NotPermitted):
        services.agenda_add(actor=councils.members[1], consultation=consultation, proposal=fresh)
    # Another community's proposal is refused
    with pytest.raises(NotPermitted):
        services.agenda_add(actor=councils.secretary, consultation=consultation, proposal=south)
    # An open proposal cannot be decided
    with pytest.raises(NotTableable):
        services.agenda_add(actor=councils.secretary, consultation=consultation, proposal=fresh)
    # A proposal waiting at one meeting is not put on another
    with pytest.raises(OnAgenda):
        services.agenda_add(actor=councils.secretary, consultation=other, proposal=proposal)
    # Once voting started, the agenda is fixed
    with pytest.raises(AgendaClosed):
        services.agenda_add(actor=councils.secretary, consultation=open_meeting, proposal=fresh)
    with pytest.raises(AgendaClosed):
        services.agenda_remove(actor=councils.secretary, item=open_meeting.items.get())
    # An acceptance needs a running, fully pledged project
    with pytest.raises(NotFunded):
        services.agenda_add(
            actor=councils.secretary,
            consultation=consultation,
            proposal=proposal,
            kind=ItemKind.ACCEPTANCE,
        )


def test_a_rejected_proposal_can_be_taken_up_again(councils):
    proposal = tabled(councils)
    ended = meeting(councils, when="ended")
    item = ended.items.get(proposal=proposal)
    for member in councils.members[:3]:
        services.vote_record(
            actor=councils.secretary, item=item, member=member, choice="against", channel="paper"
        )
    services.consultation_close(actor=councils.secretary, consultation=ended)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    later = meeting(councils)
    assert not later.items.exists()  # a rejected proposal is not pulled by itself
    services.agenda_add(actor=councils.secretary, consultation=later, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.TABLED


# --- Attendance -----------------------------------------------------------------------------


def test_attendance_replaces_the_list(councils):
    consultation = meeting(councils, when="open")
    m = councils.members
    services.attendance_record(
        actor=m[0], consultation=consultation, members=m[:3], attendance_count=20
    )
    services.attendance_record(
        actor=m[0], consultation=consultation, members=m[1:4], attendance_count=25
    )
    consultation.refresh_from_db()
    assert consultation.attendance_count == 25
    assert set(consultation.attendances.values_list("member_id", flat=True)) == {
        u.pk for u in m[1:4]
    }
    with pytest.raises(AttendanceTooLow):
        services.attendance_record(
            actor=m[0], consultation=consultation, members=m[:3], attendance_count=2
        )
    with pytest.raises(NotAMember):
        services.attendance_record(
            actor=m[0],
            consultation=consultation,
            members=[councils.south_members[0]],
            attendance_count=5,
        )
    with pytest.raises(NotPermitted):
        services.attendance_record(
            actor=m[1], consultation=consultation, members=m[:1], attendance_count=5
        )


# --- Closing --------------------------------------------------------------------------------


def test_close_computes_results_and_moves_proposals(councils):
    # Given three tabled proposals on a meeting whose voting ended (5 members, quorum 50
    # percent, simple majority)
    yes, no, quiet = tabled(councils), tabled(councils), tabled(councils)
    consultation = meeting(councils, when="ended")
    items = {i.proposal_id: i for i in consultation.items.all()}
    record = services.vote_record
    m, sec = councils.members, councils.secretary
    for member, choice in zip(m, ["for", "for", "for", "against", "abstain"], strict=True):
        record(actor=sec, item=items[yes.pk], member=member, choice=choice, channel="hands")
    for member, choice in zip(m[:3], ["against", "against", "for"], strict=True):
        record(actor=sec, item=items[no.pk], member=member, choice=choice, channel="paper")
    record(actor=sec, item=items[quiet.pk], member=m[1], choice="for", channel="paper")
    # And a meeting called after this one, still to vote
    nxt = meeting(councils)
    # When the secretary closes it
    closed = services.consultation_close(actor=sec, consultation=consultation, summary="会议顺利")
    # Then each item has its counts and result, computed from the votes
    assert closed.status == ConsultationStatus.CLOSED and closed.closed_at
    assert closed.summary == "会议顺利"
    got = {i.proposal_id: i for i in consultation.items.all()}
    assert (got[yes.pk].votes_for, got[yes.pk].votes_against, got[yes.pk].votes_abstain) == (
        3,
        1,
        1,
    )
    assert got[yes.pk].electorate == 5
    assert got[yes.pk].result == ItemResult.PASSED
    assert got[no.pk].result == ItemResult.REJECTED
    assert got[quiet.pk].result == ItemResult.NO_QUORUM
    # And the proposals moved: approved, rejected, still tabled and on the next meeting
    for proposal in (yes, no, quiet):
        proposal.refresh_from_db()
    assert yes.status == ProposalStatus.APPROVED
    assert no.status == ProposalStatus.REJECTED
    assert quiet.status == ProposalStatus.TABLED
    assert list(nxt.items.values_list("proposal_id", flat=True)) == [quiet.pk]
    # And closing again changes nothing
    events = AuditEvent.objects.count()
    services.consultation_close(actor=sec, consultation=consultation)
    assert AuditEvent.objects.count() == events


def test_a_no_quorum_proposal_goes_on_the_next_meeting_called(councils):
    quiet = tabled(councils)
    ended = meeting(councils, when="ended")
    services.consultation_close(actor=councils.secretary, consultation=ended)
    assert ended.items.get().result == ItemResult.NO_QUORUM
    assert list(meeting(councils).items.values_list("proposal_id", flat=True)) == [quiet.pk]


def test_only_current_members_votes_count(councils, superuser):
    from accounts import services as accounts

    proposal = tabled(councils)
    ended = meeting(councils, when="ended")
    item = ended.items.get(proposal=proposal)
    m = councils.members
    for member in m[:3]:
        services.vote_record(actor=m[0], item=item, member=member, choice="for", channel="paper")
    # One member who voted leaves the council before the close
    accounts.role_revoke(
        actor=superuser, assignment=m[2].role_assignments.get(), reason="moved away"
    )
    services.consultation_close(actor=m[0], consultation=ended)
    item.refresh_from_db()
    assert (item.votes_for, item.electorate, item.result) == (2, 4, ItemResult.PASSED)


def test_close_guards(councils):
    open_meeting = meeting(councils, when="open")
    with pytest.raises(ConsultationNotOver):
        services.consultation_close(actor=councils.secretary, consultation=open_meeting)
    with pytest.raises(NotPermitted):
        services.consultation_close(actor=councils.members[1], consultation=open_meeting)
    ended = meeting(councils, when="ended")
    services.consultation_cancel(actor=councils.secretary, consultation=ended, reason="改期")
    with pytest.raises(InvalidTransition):
        services.consultation_close(actor=councils.secretary, consultation=ended)


def test_acceptance_item_passed_accepts_the_project(councils, city, make_user):
    from projects.models import ProjectStatus
    from tests.projects.delivery_fixtures import funded

    project = funded(councils, city, make_user(email="donor.accept@example.org"))
    consultation = meeting(councils)
    item = services.agenda_add(
        actor=councils.secretary,
        consultation=consultation,
        proposal=project.proposal,
        kind=ItemKind.ACCEPTANCE,
    )
    # Voting happens (moved into its window by the clock)
    later = consultation.starts_at + timedelta(minutes=5)
    for member in councils.members[:4]:
        services.vote_cast(actor=member, item=item, choice="for", now=later)
    services.consultation_close(
        actor=councils.secretary, consultation=consultation, now=consultation.ends_at
    )
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACCEPTED
    assert project.acceptance.item == item


# --- Cancelling -----------------------------------------------------------------------------


def test_cancel_keeps_proposals_tabled_for_the_next_meeting(councils):
    proposal = tabled(councils)
    consultation = meeting(councils)
    with pytest.raises(ReasonRequired):
        services.consultation_cancel(
            actor=councils.secretary, consultation=consultation, reason=" "
        )
    services.consultation_cancel(actor=councils.secretary, consultation=consultation, reason="台风")
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.CANCELLED
    assert consultation.cancel_reason == "台风"
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.TABLED
    assert meeting(councils).items.get().proposal == proposal
    # Cancelling again is a no-op; attendance on a cancelled meeting is refused
    services.consultation_cancel(actor=councils.secretary, consultation=consultation, reason="再次")
    with pytest.raises(ConsultationFinished):
        services.attendance_record(
            actor=councils.secretary, consultation=consultation, members=[], attendance_count=0
        )


def test_cancel_moves_items_to_a_meeting_already_scheduled(councils):
    proposal = tabled(councils)
    first = meeting(councils)
    second = meeting(councils, now=timezone.now() + timedelta(days=1))
    assert not second.items.exists()
    services.consultation_cancel(actor=councils.secretary, consultation=first, reason="改期")
    assert second.items.get().proposal == proposal


# --- The periodic close ---------------------------------------------------------------------


def test_close_due_closes_only_long_ended_meetings(councils, settings):
    settings.PROJECTS_AUTO_CLOSE_DAYS = 3
    recent = meeting(councils, when="ended")
    old = meeting(councils, when="ended", now=timezone.now() - timedelta(days=4))
    upcoming = meeting(councils)
    assert services.consultations_close_due() == 1
    for c in (recent, old, upcoming):
        c.refresh_from_db()
    assert old.status == ConsultationStatus.CLOSED
    assert recent.status == upcoming.status == ConsultationStatus.SCHEDULED
    event = AuditEvent.objects.get(verb="consultation.closed")
    assert event.actor is None and event.actor_label == "system"
    # The task runs the same service
    from projects.tasks import consultations_close_due

    assert consultations_close_due() == 0


def test_table_then_meeting_flow_through_proposals_service(councils):
    """A proposal supported to its threshold goes on the next meeting by itself."""
    from tests.projects.proposals_fixtures import support

    consultation = meeting(councils)
    proposal = propose(councils.resident, councils.north.community)
    support(proposal, councils.members[1:4])
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.TABLED
    assert consultation.items.get().proposal == proposal
    assert proposals  # imported for the fixtures' service
