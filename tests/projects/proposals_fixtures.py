"""Helpers of the proposals tests: a proposal made through the service, supporters, a
scheduled consultation (made directly: the consultations part writes its own service),
and photos with and without EXIF."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Region, User
from projects.models import Consultation, Council, Proposal
from projects.services import proposals as services
from tests.stations.conftest import jpeg_bytes, upload

__all__ = ["consultation", "jpeg_bytes", "propose", "support", "upload"]


def propose(actor: User, community: Region, **overrides: Any) -> Proposal:
    fields: dict[str, Any] = {
        "title": "三号楼楼梯加装扶手",
        "problem": "楼梯没有扶手,老人上下楼容易摔倒。",
        "solution": "在一至六层楼梯加装不锈钢扶手。",
        "category": "public_facility",
        "estimated_budget": Decimal("8000.00"),
        "beneficiaries": "三号楼的老年住户",
        "beneficiary_count": 40,
    }
    fields.update(overrides)
    return services.proposal_create(actor=actor, community=community, **fields)


def support(proposal: Proposal, users: list[User]) -> Proposal:
    for user in users:
        proposal = services.proposal_support(actor=user, proposal=proposal, lives_here=True)
    return proposal


def consultation(
    council: Council, *, days: int = 7, title: str = "十二月居民议事会"
) -> Consultation:
    """A scheduled online consultation starting in *days* days, voting for two hours."""
    starts = timezone.now() + timedelta(days=days)
    return Consultation.objects.create(
        council=council,
        form="online",
        title=title,
        place="社区党群服务中心",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        created_by=council.secretary,
    )
