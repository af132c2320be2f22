"""Who may do what with proposals, consultations and projects, and the lifecycles' moves.

Council membership is the council member role held on exactly the council's community
(a role held higher up reaches the community for other purposes, but does not make its
holder a voting member of every council below).
"""

import secrets

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Region, RegionLevel, RoleAssignment, User
from accounts.permissions import has_perm, scopes
from accounts.roles import Perm, Role
from accounts.transitions import Workflow
from projects.models import (
    Council,
    ItemResult,
    ProjectStatus,
    ProposalStatus,
)

P, S = ProposalStatus, ProjectStatus

PROPOSAL = Workflow(
    "proposal",
    {
        P.OPEN: {P.TABLED, P.MERGED, P.WITHDRAWN},
        # Not decided at a consultation (rejected, or no quorum) goes back to be tabled again.
        P.TABLED: {P.APPROVED, P.REJECTED, P.OPEN, P.MERGED, P.WITHDRAWN},
        P.REJECTED: {P.TABLED},  # a council may take it up again at a later meeting
    },
)

PROJECT = Workflow(
    "project",
    {
        S.SUBMITTED: {S.FUNDING, S.SENT_BACK, S.CANCELLED},
        S.SENT_BACK: {S.SUBMITTED, S.CANCELLED},
        S.FUNDING: {S.IN_PROGRESS, S.ACCEPTED, S.CANCELLED},
        S.IN_PROGRESS: {S.ACCEPTED, S.CANCELLED},
    },
)

ITEM_CLOSED = (ItemResult.PASSED, ItemResult.REJECTED, ItemResult.NO_QUORUM)


def new_reference(prefix: str) -> str:
    """A short public reference, e.g. ``P2611-3FA9C2``: month plus random, unguessable."""
    return f"{prefix}{timezone.localdate():%y%m}-{secrets.token_hex(3).upper()}"


def members(council: Council) -> QuerySet[User]:
    """The council's voting members now."""
    return User.objects.filter(
        is_active=True,
        role_assignments__in=RoleAssignment.objects.active().filter(
            role=Role.COUNCIL_MEMBER, region_id=council.community_id
        ),
    ).distinct()


def is_member(user: User, council: Council) -> bool:
    """One query per user per request at most (the role scopes are cached on the user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return any(
        s.role == Role.COUNCIL_MEMBER and s.region_id == council.community_id for s in scopes(user)
    )


def may_keep_minutes(user: User, council: Council) -> bool:
    """The council's secretary, or a reviewer of its town, keeps the record of a meeting."""
    if council.secretary_id is not None and council.secretary_id == getattr(user, "pk", None):
        return is_member(user, council)
    return has_perm(user, Perm.PROJECT_REVIEW, council.community)


def may_table(user: User, community: Region) -> bool:
    """Council members and station staff of the community table and merge proposals."""
    return has_perm(user, Perm.PROJECT_PROPOSE, community)


def may_review(user: User, community: Region) -> bool:
    return has_perm(user, Perm.PROJECT_REVIEW, community)


def may_run(user: User, community: Region) -> bool:
    """Station staff of the community post progress, record acceptance and ratings."""
    return has_perm(user, Perm.DELIVERY_LOG, community)


def may_hide_photos(user: User, community: Region) -> bool:
    """Council members, station staff and reviewers take down a photo that shows what it
    should not (faces, house numbers)."""
    return may_table(user, community) or may_review(user, community) or may_run(user, community)


def is_community(region: Region) -> bool:
    return region.level == RegionLevel.COMMUNITY
