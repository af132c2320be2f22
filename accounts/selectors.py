"""Reads. ``access_*`` return the object or raise ``Http404`` when it lies outside the
user's area: another area's object is not found, not forbidden (it is not theirs to know of).
"""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import (
    AuditEvent,
    Invitation,
    Membership,
    Organisation,
    Region,
    RegionLevel,
    RoleAssignment,
    Station,
    User,
)
from accounts.permissions import region_q, scope_paths
from accounts.roles import Perm


def access_region(user: User, pk: int, *, perm: Perm = Perm.WORKSPACE_VIEW) -> Region:
    """The region *pk* if *user* has *perm* there.

    Raises:
        Http404: no such region, or outside the user's scope for *perm*.
    """
    region = (
        Region.objects.filter(region_q(user, perm, field=""), pk=pk)
        .select_related("parent")
        .first()
    )
    if region is None:
        raise Http404
    return region


def access_organisation(user: User, pk: int, *, admin: bool = False) -> Organisation:
    """The organisation *pk* if *user* is a member (an administrator when *admin*).

    Raises:
        Http404: no such organisation, or the user is not (that kind of) member.
    """
    memberships = Membership.objects.filter(user=user, organisation_id=pk)
    if admin:
        memberships = memberships.filter(is_admin=True)
    organisation = (
        Organisation.objects.select_related("region")
        .filter(pk=pk, memberships__in=memberships)
        .first()
    )
    if organisation is None:
        raise Http404
    return organisation


def access_invitation(user: User, organisation: Organisation, pk: int) -> Invitation:
    invitation = organisation.invitations.filter(pk=pk).first()
    if invitation is None:
        raise Http404
    return invitation


def access_membership(organisation: Organisation, pk: int) -> Membership:
    """A membership of *organisation* (which the caller has already accessed).

    Raises:
        Http404: no such member of this organisation.
    """
    membership = (
        organisation.memberships.select_related("organisation", "user").filter(pk=pk).first()
    )
    if membership is None:
        raise Http404
    return membership


def access_role_assignment(user: User, pk: int) -> RoleAssignment:
    """An active role assignment in a region where *user* may assign roles.

    Raises:
        Http404: no such active assignment, or outside the user's scope.
    """
    assignment = (
        RoleAssignment.objects.active()
        .filter(region_q(user, Perm.ROLE_ASSIGN), pk=pk)
        .select_related("region", "user")
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def user_memberships(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation")


def user_role_assignments(user: User) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.active().filter(user=user).select_related("region")


def organisation_members(organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("-is_admin", "joined_at")


def organisation_open_invitations(organisation: Organisation) -> QuerySet[Invitation]:
    return organisation.invitations.open().select_related("invited_by")


def invitation_by_token(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by").filter(token=token).first()
    )
    if invitation is None:
        raise Http404
    return invitation


def workspace_regions(user: User) -> QuerySet[Region]:
    """The top regions of the user's staff scope, with how much lies below each."""
    return (
        Region.objects.filter(region_q(user, Perm.WORKSPACE_VIEW, field=""))
        .exclude(parent__in=Region.objects.filter(region_q(user, Perm.WORKSPACE_VIEW, field="")))
        .annotate(child_count=Count("children", distinct=True))
        .select_related("parent")
        .order_by("path")
    )


def region_children(region: Region) -> QuerySet[Region]:
    return region.children.annotate(
        station_count=Count("stations", distinct=True), child_count=Count("children", distinct=True)
    ).order_by("path")


def region_stations(region: Region) -> QuerySet[Station]:
    return Station.objects.within(region.path).select_related("community")


def region_staff(region: Region) -> QuerySet[RoleAssignment]:
    """Who holds a role over this region, here or above it, or below it."""
    ancestors = _ancestor_paths(region.path)
    return (
        RoleAssignment.objects.active()
        .filter(Q(region__path__in=ancestors) | Q(region__path__startswith=region.path))
        .select_related("user", "region")
        .order_by("region__path", "role")
    )


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def audit_events(user: User, *, verb: str = "") -> QuerySet[AuditEvent]:
    """Audit events in the user's audit scope; events without a region only for the whole city."""
    paths = scope_paths(user, Perm.AUDIT_VIEW)
    q = region_q(user, Perm.AUDIT_VIEW)
    if any(p.count("/") <= 2 for p in paths):  # scope covers a whole city: include city-less events
        q |= Q(region__isnull=True)
    events = AuditEvent.objects.filter(q).select_related("region", "target_type")
    if verb:
        events = events.filter(verb__startswith=verb)
    return events


def public_stations(*, town: int | None = None) -> QuerySet[Station]:
    stations = Station.objects.active().select_related("community__parent")
    if town:
        stations = stations.filter(community__parent_id=town)
    return stations


def public_towns() -> QuerySet[Region]:
    return Region.objects.filter(level=RegionLevel.TOWN).order_by("path")
