"""The demo has proposals in every state, two consultations with computed results, a
third called, and projects funded, in progress, accepted and rated, and awaiting review;
seeding it again changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from feedback.models import Rating
from marketplace.models import ListingStatus
from projects.models import (
    AcceptanceMethod,
    Consultation,
    ConsultationStatus,
    ItemResult,
    Project,
    ProjectStatus,
    Proposal,
    ProposalStatus,
    Support,
)


def seed() -> None:
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())


@pytest.mark.django_db
def test_the_demo_shows_a_projects_whole_life():
    seed()
    assert {p.status for p in Proposal.objects.all()} == set(ProposalStatus.values)
    for proposal in Proposal.objects.all():  # the counters equal their rows
        assert proposal.support_count == Support.objects.filter(proposal=proposal).count()

    closed = Consultation.objects.filter(status=ConsultationStatus.CLOSED)
    assert closed.count() == 2
    results = {item.result for c in closed for item in c.items.all()}
    assert results == {ItemResult.PASSED, ItemResult.REJECTED, ItemResult.NO_QUORUM}
    upcoming = Consultation.objects.get(status=ConsultationStatus.SCHEDULED)
    assert upcoming.items.count() == 2  # the tabled proposals, drawn onto its agenda

    projects = {p.status: p for p in Project.objects.select_related("listing")}
    assert set(projects) == {
        ProjectStatus.SUBMITTED,
        ProjectStatus.IN_PROGRESS,
        ProjectStatus.ACCEPTED,
    }
    running = projects[ProjectStatus.IN_PROGRESS]
    assert running.listing.status == ListingStatus.OPEN and running.percent_complete == 40
    assert running.listing.lines.get(kind="money").confirmed > 0  # part funded
    done = projects[ProjectStatus.ACCEPTED]
    assert done.listing.status == ListingStatus.DELIVERED
    assert done.acceptance.method == AcceptanceMethod.COUNCIL_VOTE
    assert Rating.objects.filter(listing=done.listing).count() == 3

    # Seeding again changes nothing.
    counts = (Proposal.objects.count(), Consultation.objects.count(), Project.objects.count())
    seed()
    assert (
        Proposal.objects.count(),
        Consultation.objects.count(),
        Project.objects.count(),
    ) == counts
