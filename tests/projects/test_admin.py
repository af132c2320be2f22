"""The admin: a council's rules are edited there and each change is audited; the rest of
the projects' rows are read-only."""

from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from projects.models import Proposal

pytestmark = pytest.mark.django_db


def test_council_rules_change_is_audited(client, superuser, councils):
    client.force_login(superuser)
    council = councils.north
    response = client.post(
        f"/admin/projects/council/{council.pk}/change/",
        {
            "community": council.community_id,
            "name": council.name,
            "quorum_percent": "60",
            "majority": "two_thirds",
            "support_threshold": "5",
            "secretary": council.secretary_id,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    council.refresh_from_db()
    assert (council.quorum_percent, council.majority, council.support_threshold) == (
        60,
        "two_thirds",
        5,
    )
    event = AuditEvent.objects.get(verb="council.changed")
    assert event.actor == superuser
    assert event.data["changed"] == ["majority", "quorum_percent", "support_threshold"]


def test_council_rules_are_checked(client, superuser, councils):
    client.force_login(superuser)
    council = councils.north
    response = client.post(
        f"/admin/projects/council/{council.pk}/change/",
        {
            "community": council.community_id,
            "name": council.name,
            "quorum_percent": "0",
            "majority": "simple",
            "support_threshold": "0",
        },
    )
    assert response.status_code == 200  # the form again, with its errors
    assert not AuditEvent.objects.filter(verb="council.changed").exists()


def test_proposals_are_read_only_and_hide_the_proposer(client, superuser, councils, city):
    proposal = Proposal.objects.create(
        reference="P2611-ABCDEF",
        community=city.north_a,
        title="修缮健身路径",
        problem="器材坏了",
        solution="更换器材",
        category="public_facility",
        estimated_budget=Decimal("8000.00"),
        beneficiaries="全体居民",
        beneficiary_count=300,
        proposed_by=councils.resident,
    )
    client.force_login(superuser)
    for url in (
        "/admin/projects/proposal/",
        f"/admin/projects/proposal/{proposal.pk}/change/",
        "/admin/projects/consultation/",
        "/admin/projects/project/",
        "/admin/projects/council/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert councils.resident.email not in response.content.decode(), url
    assert client.get("/admin/projects/proposal/add/").status_code == 403
