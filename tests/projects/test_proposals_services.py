"""Proposals: create, support, threshold tabling, direct tabling, merge, withdraw."""

from decimal import Decimal

import pytest

from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import AuditEvent
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
from projects.models import AgendaItem, ProposalStatus, Support
from projects.selectors.proposals import proposal_history
from projects.services import proposals as services
from tests.projects.proposals_fixtures import consultation, propose, support

pytestmark = pytest.mark.django_db


def _verbs(proposal) -> list[str]:
    return list(AuditEvent.objects.for_object(proposal).values_list("verb", flat=True))


def _residents(make_user, n: int, tag: str = "r") -> list:
    return [make_user(email=f"{tag}{i}@example.org") for i in range(n)]


# --- create -----------------------------------------------------------------------------


def test_a_resident_proposes_and_is_its_first_supporter(city, councils):
    # when
    proposal = propose(councils.resident, city.north_a)
    # then
    assert proposal.reference.startswith("P")
    assert proposal.status == ProposalStatus.OPEN
    assert proposal.support_count == 1
    assert list(proposal.supports.values_list("supporter_id", flat=True)) == [councils.resident.pk]
    assert _verbs(proposal) == ["proposal.created"]
    event = AuditEvent.objects.for_object(proposal).get()
    assert councils.resident.email not in str(event.data)


def test_a_town_is_not_a_community(city, councils):
    with pytest.raises(NotACommunity):
        propose(councils.resident, city.north)


def test_a_community_without_council_cannot_take_proposals(city, councils):
    with pytest.raises(NoCouncil):
        propose(councils.resident, city.north_b)


def test_anonymous_cannot_propose(city, councils):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotPermitted):
        propose(AnonymousUser(), city.north_a)


def test_threshold_of_one_tables_at_creation(city, councils):
    # given
    councils.north.support_threshold = 1
    councils.north.save()
    meeting = consultation(councils.north)
    # when
    proposal = propose(councils.resident, city.north_a)
    # then
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.TABLED
    assert AgendaItem.objects.get(proposal=proposal).consultation == meeting


# --- support ----------------------------------------------------------------------------


def test_support_counts_and_duplicate_is_refused(city, councils, make_user):
    # given
    proposal = propose(councils.resident, city.north_a)
    neighbour = make_user(email="neighbour@example.org")
    # when
    proposal = services.proposal_support(actor=neighbour, proposal=proposal, lives_here=True)
    # then
    assert proposal.support_count == 2
    with pytest.raises(AlreadySupported):
        services.proposal_support(actor=neighbour, proposal=proposal, lives_here=True)
    with pytest.raises(AlreadySupported):  # the proposer supports already
        services.proposal_support(actor=councils.resident, proposal=proposal, lives_here=True)
    proposal.refresh_from_db()
    assert proposal.support_count == 2 == proposal.supports.count()


def test_support_needs_the_lives_here_confirmation(city, councils, make_user):
    proposal = propose(councils.resident, city.north_a)
    with pytest.raises(LivesHereRequired) as refused:
        services.proposal_support(actor=make_user(), proposal=proposal, lives_here=False)
    assert str(refused.value.message)
    assert proposal.supports.count() == 1


def test_reaching_the_threshold_tables_it_on_the_next_scheduled_consultation(
    city, councils, make_user
):
    # given: threshold 3, a meeting next week and a later one
    later = consultation(councils.north, days=30, title="一月议事会")
    sooner = consultation(councils.north, days=7)
    proposal = propose(councils.resident, city.north_a)
    # when
    proposal = support(proposal, _residents(make_user, 2))
    # then
    assert proposal.status == ProposalStatus.TABLED
    assert proposal.tabled_at is not None
    item = AgendaItem.objects.get(proposal=proposal)
    assert item.consultation == sooner != later
    tabled = AuditEvent.objects.for_object(proposal).get(verb="proposal.tabled")
    assert tabled.actor is None and tabled.reason == "support threshold"


def test_reaching_the_threshold_without_a_meeting_tables_it_for_the_next_one(
    city, councils, make_user
):
    proposal = support(propose(councils.resident, city.north_a), _residents(make_user, 2))
    assert proposal.status == ProposalStatus.TABLED
    assert not AgendaItem.objects.filter(proposal=proposal).exists()


def test_a_tabled_proposal_still_takes_support_but_is_tabled_once(city, councils, make_user):
    proposal = support(propose(councils.resident, city.north_a), _residents(make_user, 3))
    assert proposal.support_count == 4
    assert _verbs(proposal).count("proposal.tabled") == 1


def test_merged_or_withdrawn_proposals_take_no_support(city, councils, make_user):
    proposal = propose(councils.resident, city.north_a)
    services.proposal_withdraw(actor=councils.resident, proposal=proposal, reason="已解决")
    with pytest.raises(NotOpenForSupport):
        services.proposal_support(actor=make_user(), proposal=proposal, lives_here=True)


def test_unsupport_while_open_but_not_the_proposers_own(city, councils, make_user):
    # given
    proposal = propose(councils.resident, city.north_a)
    neighbour = make_user()
    support(proposal, [neighbour])
    # when
    proposal = services.proposal_unsupport(actor=neighbour, proposal=proposal)
    # then
    assert proposal.support_count == 1 == proposal.supports.count()
    # again: a no-op
    assert services.proposal_unsupport(actor=neighbour, proposal=proposal).support_count == 1
    with pytest.raises(OwnSupport):
        services.proposal_unsupport(actor=councils.resident, proposal=proposal)


def test_unsupport_is_refused_once_tabled(city, councils, make_user):
    supporters = _residents(make_user, 2)
    proposal = support(propose(councils.resident, city.north_a), supporters)
    with pytest.raises(NotOpenForSupport):
        services.proposal_unsupport(actor=supporters[0], proposal=proposal)


# --- table ------------------------------------------------------------------------------


def test_a_council_member_tables_directly(city, councils):
    # given
    meeting = consultation(councils.north)
    proposal = propose(councils.resident, city.north_a)
    # when
    item = services.proposal_table(actor=councils.members[1], proposal=proposal, reason="紧急")
    # then
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.TABLED
    assert item.consultation == meeting
    tabled = AuditEvent.objects.for_object(proposal).get(verb="proposal.tabled")
    assert tabled.actor == councils.members[1]
    # again: harmless, the same item
    assert services.proposal_table(actor=councils.station, proposal=proposal) is None
    assert AgendaItem.objects.filter(proposal=proposal).count() == 1


def test_a_south_member_cannot_table_a_north_proposal(city, councils):
    proposal = propose(councils.resident, city.north_a)
    for outsider in (councils.south_members[0], councils.resident, councils.south_station):
        with pytest.raises(NotPermitted):
            services.proposal_table(actor=outsider, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN


# --- merge ------------------------------------------------------------------------------


def test_merge_carries_supports_once_and_records_history(city, councils, make_user):
    # given: A with supporters x, y; B with supporters y, z (y supports both)
    x, y, z = _residents(make_user, 3)
    councils.north.support_threshold = 10
    councils.north.save()
    a = support(propose(x, city.north_a, title="加装扶手"), [y])
    b = support(propose(councils.resident, city.north_a, title="楼梯扶手"), [y, z])
    # when
    into = services.proposal_merge(actor=councils.members[1], proposal=a, into=b, reason="同一件事")
    # then: B counts resident, y, z and x (carried) once each
    assert into.pk == b.pk
    assert into.support_count == 4 == Support.objects.filter(proposal=b).count()
    assert set(
        Support.objects.filter(proposal=b, carried_from=a).values_list("supporter_id", flat=True)
    ) == {x.pk}
    a.refresh_from_db()
    assert a.status == ProposalStatus.MERGED and a.merged_into == b
    merged = AuditEvent.objects.for_object(a).get(verb="proposal.merged")
    assert merged.data["into"] == b.reference and merged.data["carried"] == 1
    received = AuditEvent.objects.for_object(b).get(verb="proposal.merge_received")
    assert received.data["from"] == a.reference
    history = [(s.verb, s.reference) for s in proposal_history(b)]
    assert ("proposal.created", a.reference) in history
    assert ("proposal.merged", a.reference) in history
    assert ("proposal.merge_received", b.reference) in history


def test_merge_reaching_the_threshold_tables_the_target(city, councils, make_user):
    x, y = _residents(make_user, 2)
    a = support(propose(x, city.north_a), [])
    b = support(propose(councils.resident, city.north_a), [y])
    into = services.proposal_merge(actor=councils.station, proposal=a, into=b, reason="重复")
    assert into.support_count == 3
    assert into.status == ProposalStatus.TABLED


def test_merge_is_refused_across_communities_or_onto_itself(city, councils):
    north = propose(councils.resident, city.north_a)
    south = propose(councils.resident, city.south_a)
    with pytest.raises(CannotMerge):
        services.proposal_merge(actor=councils.members[1], proposal=north, into=south, reason="x")
    with pytest.raises(CannotMerge):
        services.proposal_merge(actor=councils.members[1], proposal=north, into=north, reason="x")
    with pytest.raises(ReasonRequired):
        other = propose(councils.resident, city.north_a)
        services.proposal_merge(actor=councils.members[1], proposal=north, into=other, reason=" ")
    with pytest.raises(NotPermitted):
        services.proposal_merge(
            actor=councils.south_members[0], proposal=north, into=south, reason="x"
        )


def test_merge_is_refused_when_the_absorbed_one_is_on_an_agenda(city, councils):
    consultation(councils.north)
    a = propose(councils.resident, city.north_a)
    b = propose(councils.resident, city.north_a)
    services.proposal_table(actor=councils.members[1], proposal=a)
    with pytest.raises(OnAgenda):
        services.proposal_merge(actor=councils.members[1], proposal=a, into=b, reason="重复")
    # the other way round is fine: B goes into the tabled A
    services.proposal_merge(actor=councils.members[1], proposal=b, into=a, reason="重复")


# --- withdraw ---------------------------------------------------------------------------


def test_the_proposer_withdraws_with_a_reason(city, councils):
    proposal = propose(councils.resident, city.north_a)
    with pytest.raises(ReasonRequired):
        services.proposal_withdraw(actor=councils.resident, proposal=proposal, reason="")
    proposal = services.proposal_withdraw(
        actor=councils.resident, proposal=proposal, reason="物业已经修好"
    )
    assert proposal.status == ProposalStatus.WITHDRAWN
    assert "proposal.withdrawn" in _verbs(proposal)
    # again: a no-op
    services.proposal_withdraw(actor=councils.resident, proposal=proposal, reason="再次")
    assert _verbs(proposal).count("proposal.withdrawn") == 1


def test_withdraw_by_others_and_on_agenda(city, councils, make_user):
    consultation(councils.north)
    proposal = propose(councils.resident, city.north_a)
    with pytest.raises(NotPermitted):
        services.proposal_withdraw(actor=make_user(), proposal=proposal, reason="x")
    services.proposal_table(actor=councils.members[1], proposal=proposal)
    with pytest.raises(OnAgenda):
        services.proposal_withdraw(actor=councils.members[1], proposal=proposal, reason="x")


def test_a_merged_proposal_cannot_be_withdrawn(city, councils):
    a = propose(councils.resident, city.north_a)
    b = propose(councils.resident, city.north_a)
    services.proposal_merge(actor=councils.station, proposal=a, into=b, reason="重复")
    with pytest.raises(InvalidTransition):
        services.proposal_withdraw(actor=councils.resident, proposal=a, reason="x")


def test_estimated_budget_is_kept_exactly(city, councils):
    proposal = propose(councils.resident, city.north_a, estimated_budget=Decimal("1234.56"))
    proposal.refresh_from_db()
    assert proposal.estimated_budget == Decimal("1234.56")


def test_the_unique_constraint_caught_in_a_race_is_already_supported(
    city, councils, make_user, monkeypatch
):
    # given: a supporter whose earlier support the check does not see (a concurrent insert)
    proposal = propose(councils.resident, city.north_a)
    neighbour = make_user()
    support(proposal, [neighbour])
    from django.db.models import QuerySet

    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    # when / then
    with pytest.raises(AlreadySupported):
        services.proposal_support(actor=neighbour, proposal=proposal, lives_here=True)
    monkeypatch.undo()
    proposal.refresh_from_db()
    assert proposal.support_count == 2 == proposal.supports.count()


@pytest.mark.parametrize(
    "override",
    [
        {"title": "  "},
        {"category": "weapons"},
        {"estimated_budget": Decimal("-1")},
        {"beneficiary_count": 0},
    ],
)
def test_an_incomplete_proposal_is_refused(city, councils, override):
    with pytest.raises(ProposalIncomplete):
        propose(councils.resident, city.north_a, **override)
