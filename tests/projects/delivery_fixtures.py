"""Helpers for the delivery tests: a decision the council passed (rows made directly, as
the consultations part would leave them), a decided project, an approved one, one fully
pledged. Plain functions, so the URL matrix can use them too."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from projects.models import (
    AgendaItem,
    Consultation,
    ConsultationStatus,
    ItemKind,
    ItemResult,
    Project,
    Proposal,
    ProposalStatus,
)
from projects.rules import new_reference
from projects.services import delivery
from projects.services.delivery import LineInput
from tests.projects.world import Councils

_seq = count(1)

LINES = [
    LineInput(kind="money", description="扶手和坡道材料", target=Decimal("3000.00")),
    LineInput(kind="service", description="志愿者安装", target=Decimal("20")),
]


def passed_item(councils: Councils, *, kind: str = ItemKind.DECISION, proposal=None):
    """A closed consultation of the north council with a PASSED item on *proposal* (a new
    approved proposal by default)."""
    now = timezone.now()
    if proposal is None:
        proposal = Proposal.objects.create(
            reference=new_reference("P"),
            community=councils.north.community,
            title=f"楼道扶手 {next(_seq)}",
            problem="老人上下楼困难。",
            solution="安装扶手和坡道。",
            category="public_facility",
            estimated_budget=Decimal("3000"),
            beneficiaries="楼里的老人",
            beneficiary_count=40,
            proposed_by=councils.resident,
            status=ProposalStatus.APPROVED,
        )
    consultation = Consultation.objects.create(
        council=councils.north,
        form="residents_council",
        title="十一月议事会",
        place="社区活动室",
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=1),
        status=ConsultationStatus.CLOSED,
        closed_at=now - timedelta(hours=20),
        created_by=councils.secretary,
    )
    return AgendaItem.objects.create(
        consultation=consultation,
        proposal=proposal,
        kind=kind,
        result=ItemResult.PASSED,
        votes_for=4,
        votes_against=1,
        electorate=5,
        decided_at=now - timedelta(hours=20),
    )


def decide(councils: Councils, city, *, lines=None, item=None, **fields) -> Project:
    values = {
        "description": "为三栋楼的楼道安装扶手，入口修坡道。",
        "beneficiaries": "行动不便的老人",
        "beneficiary_count": 40,
        "implementer_kind": "station",
        "station": city.station_north,
        "delivery_way": "驿站组织采购，志愿者安装。",
        "deadline_months": 6,
    }
    values.update(fields)
    return delivery.project_decide(
        actor=councils.secretary,
        item=item or passed_item(councils),
        lines=list(LINES if lines is None else lines),
        **values,
    )


def approved(councils: Councils, city, **kwargs) -> Project:
    project = decide(councils, city, **kwargs)
    return delivery.project_approve(actor=councils.reviewer, project=project)


def fund_fully(project: Project, donor) -> None:
    """Pledge every line in full: money paid (offline), goods and service confirmed."""
    from marketplace import services as market
    from tests.marketplace.money import pay

    for line in project.listing.lines.order_by("pk"):
        pledge = market.pledge_create(donor=donor, line=line, quantity=line.target)
        if line.kind == "money":
            pay(pledge)
        else:
            market.pledge_confirm(pledge=pledge)


def funded(councils: Councils, city, donor) -> Project:
    project = approved(councils, city)
    fund_fully(project, donor)
    project.refresh_from_db()
    return project
