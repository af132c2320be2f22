"""Supporting under real concurrency, on PostgreSQL: twenty people support at once. The
count equals the rows exactly, and the proposal is tabled exactly once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from accounts.models import AuditEvent, User
from projects.models import AgendaItem, Proposal, ProposalStatus, Support
from projects.services import proposals as services
from tests.projects.proposals_fixtures import consultation, propose

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 20  # other test databases share the server's 100 connections


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")


def _run_all(calls):
    def run(call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - each outcome is inspected below
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(run, calls))


def test_twenty_supporters_at_once_are_counted_exactly_and_table_it_once(city, councils):
    # given: a threshold of 10 and a meeting to table it on
    councils.north.support_threshold = 10
    councils.north.save()
    meeting = consultation(councils.north)
    proposal = propose(councils.resident, city.north_a)
    User.objects.bulk_create([User(email=f"fan{i}@race.example.org") for i in range(20)])
    fans = list(User.objects.filter(email__endswith="@race.example.org").order_by("pk"))
    # when: twenty at once, and each of the first five a second time
    calls = [
        (lambda fan=fan: services.proposal_support(actor=fan, proposal=proposal, lives_here=True))
        for fan in [*fans, *fans[:5]]
    ]
    outcomes = _run_all(calls)
    # then
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 5 and all(e.code == "already_supported" for e in errors), errors
    proposal = Proposal.objects.get(pk=proposal.pk)
    assert proposal.support_count == 21 == Support.objects.filter(proposal=proposal).count()
    assert proposal.status == ProposalStatus.TABLED
    tabled = AuditEvent.objects.for_object(proposal).filter(verb="proposal.tabled")
    assert tabled.count() == 1
    assert list(AgendaItem.objects.filter(proposal=proposal)) == [
        AgendaItem.objects.get(consultation=meeting)
    ]
