"""Votes: online during the window, changed votes counted once, the secretary's paper and
hand counts, refusals, and (on PostgreSQL) duplicate votes impossible under concurrency."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections

from accounts.errors import NotPermitted
from accounts.models import AuditEvent
from projects.exceptions import BadChannel, BadChoice, NotAMember, VotingClosed
from projects.models import ItemResult, Vote, VoteChannel
from projects.services import consultations as services
from tests.projects.consultations_fixtures import meeting, tabled


@pytest.fixture
def item(councils):
    tabled(councils)
    return meeting(councils, when="open").items.get()


@pytest.mark.django_db
def test_a_member_votes_online_in_the_window(councils, item):
    vote = services.vote_cast(actor=councils.members[1], item=item, choice="for")
    assert (vote.choice, vote.channel, vote.recorded_by, vote.changed_at) == (
        "for",
        VoteChannel.ONLINE,
        None,
        None,
    )
    assert AuditEvent.objects.filter(verb="vote.cast").count() == 1


@pytest.mark.django_db
def test_a_changed_vote_counts_once_with_the_new_choice(councils, item):
    member = councils.members[1]
    services.vote_cast(actor=member, item=item, choice="for")
    changed = services.vote_cast(actor=member, item=item, choice="against")
    assert Vote.objects.filter(item=item, member=member).count() == 1
    assert changed.choice == "against" and changed.changed_at is not None
    # The same choice again is a no-op
    services.vote_cast(actor=member, item=item, choice="against")
    assert AuditEvent.objects.filter(verb="vote.changed").count() == 1
    # And at close it counts once, as against
    consultation = item.consultation
    services.consultation_close(
        actor=councils.secretary, consultation=consultation, now=consultation.ends_at
    )
    item.refresh_from_db()
    assert (item.votes_for, item.votes_against) == (0, 1)


@pytest.mark.django_db
def test_votes_before_start_and_after_end_are_refused(councils, item):
    consultation = item.consultation
    member = councils.members[1]
    with pytest.raises(VotingClosed):
        services.vote_cast(
            actor=member,
            item=item,
            choice="for",
            now=consultation.starts_at - timedelta(seconds=1),
        )
    with pytest.raises(VotingClosed):
        services.vote_cast(actor=member, item=item, choice="for", now=consultation.ends_at)
    assert not Vote.objects.exists()


@pytest.mark.django_db
def test_non_members_and_other_councils_are_refused(councils, item):
    for outsider in (councils.resident, councils.station, councils.south_members[0]):
        with pytest.raises(NotAMember):
            services.vote_cast(actor=outsider, item=item, choice="for")
    with pytest.raises(BadChoice):
        services.vote_cast(actor=councils.members[1], item=item, choice="maybe")
    assert not Vote.objects.exists()


@pytest.mark.django_db
def test_secretary_records_paper_votes_after_the_window_before_close(councils, item):
    consultation = item.consultation
    after = consultation.ends_at + timedelta(hours=3)
    sec, member = councils.secretary, councils.members[2]
    vote = services.vote_record(
        actor=sec, item=item, member=member, choice="for", channel="paper", now=after
    )
    assert (vote.channel, vote.recorded_by) == (VoteChannel.PAPER, sec)
    # The member can still change it online within the window (latest write wins)
    online = services.vote_cast(
        actor=member, item=item, choice="abstain", now=consultation.ends_at - timedelta(minutes=1)
    )
    assert (online.channel, online.recorded_by, online.choice) == (
        VoteChannel.ONLINE,
        None,
        "abstain",
    )
    # Not before voting starts, nor after the close
    with pytest.raises(VotingClosed):
        services.vote_record(
            actor=sec,
            item=item,
            member=member,
            choice="for",
            channel="hands",
            now=consultation.starts_at - timedelta(minutes=1),
        )
    services.consultation_close(actor=sec, consultation=consultation, now=after)
    item.refresh_from_db()
    assert item.result != ItemResult.PENDING
    with pytest.raises(VotingClosed):
        services.vote_record(
            actor=sec, item=item, member=member, choice="for", channel="hands", now=after
        )


@pytest.mark.django_db
def test_record_guards(councils, item):
    with pytest.raises(NotPermitted):
        services.vote_record(
            actor=councils.members[1],
            item=item,
            member=councils.members[2],
            choice="for",
            channel="paper",
        )
    with pytest.raises(NotAMember):
        services.vote_record(
            actor=councils.secretary,
            item=item,
            member=councils.resident,
            choice="for",
            channel="paper",
        )
    with pytest.raises(BadChannel):
        services.vote_record(
            actor=councils.secretary,
            item=item,
            member=councils.members[2],
            choice="for",
            channel="online",
        )


# --- Real concurrency on PostgreSQL -------------------------------------------------------------


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def _run_all(calls, workers: int = 10):
    def run(call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - each outcome is inspected below
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


@pytest.mark.django_db(transaction=True)
def test_ten_threads_of_one_member_leave_one_vote(councils, item):
    _postgres_only()
    member = councils.members[1]
    choices = ["for", "against", "abstain", "for", "against"] * 2

    def call(choice):
        return lambda: services.vote_cast(actor=member, item=item, choice=choice)

    outcomes = _run_all([call(c) for c in choices])
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Vote.objects.filter(item=item).count() == 1


@pytest.mark.django_db(transaction=True)
def test_five_members_at_once_give_five_votes_and_right_tallies(councils, item):
    _postgres_only()
    choices = ["for", "for", "for", "against", "abstain"]

    def call(member, choice):
        return lambda: services.vote_cast(actor=member, item=item, choice=choice)

    outcomes = _run_all(
        [call(m, c) for m, c in zip(councils.members, choices, strict=True)], workers=5
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Vote.objects.filter(item=item).count() == 5
    consultation = item.consultation
    services.consultation_close(
        actor=councils.secretary, consultation=consultation, now=consultation.ends_at
    )
    item.refresh_from_db()
    assert (item.votes_for, item.votes_against, item.votes_abstain) == (3, 1, 1)
    assert item.result == ItemResult.PASSED
