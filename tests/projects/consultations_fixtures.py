"""Helpers of the consultations tests: tabled proposals and meetings made through the
services. Plain functions, so the URL matrix can use them too.

A meeting whose voting is already open (or over) is called with ``now`` set before its
start, as if the secretary had called it earlier.
"""

from datetime import datetime, timedelta
from itertools import count

from django.utils import timezone

from accounts.models import User
from projects.models import Consultation, Council, Proposal
from projects.services import consultations as services
from projects.services import proposals
from tests.projects.proposals_fixtures import propose
from tests.projects.world import Councils

_seq = count(1)


def tabled(councils: Councils, *, council: Council | None = None, title: str = "") -> Proposal:
    """A proposal raised by a resident and tabled by a council member."""
    council = council or councils.north
    north = council.pk == councils.north.pk
    member = councils.members[1] if north else councils.south_members[1]
    proposal = propose(
        councils.resident if north else member,
        council.community,
        title=title or f"楼道扶手 {next(_seq)}",
    )
    proposals.proposal_table(actor=member, proposal=proposal)
    proposal.refresh_from_db()
    return proposal


def meeting(
    councils: Councils,
    *,
    when: str = "upcoming",
    council: Council | None = None,
    actor: User | None = None,
    title: str = "",
    now: datetime | None = None,
) -> Consultation:
    """A consultation called through the service: "upcoming" (voting tomorrow), "open"
    (voting now) or "ended" (voting ended an hour ago, not yet closed)."""
    now = now or timezone.now()
    council = council or councils.north
    actor = actor or council.secretary
    hour = timedelta(hours=1)
    starts = {
        "upcoming": now + timedelta(days=1),
        "open": now - hour,
        "ended": now - 2 * hour,
    }[when]
    return services.consultation_create(
        actor=actor,
        council=council,
        form="residents_council",
        title=title or f"居民议事会 {next(_seq)}",
        place="社区党群服务中心",
        starts_at=starts,
        ends_at=starts + (2 * hour if when == "open" else hour),
        now=starts - hour,
    )
