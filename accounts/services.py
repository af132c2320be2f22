"""Write operations on people, places and roles.

Each service: guard (permission, state) → one transaction → change → audit → side effects on
commit. Views, the admin, tasks and the shell all come through here.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.errors import NotPermitted
from accounts.exceptions import (
    AlreadyMember,
    InvalidRegionParent,
    InvitationForSomeoneElse,
    InvitationNotOpen,
    InvitationPending,
    LastAdmin,
    OwnRole,
    RoleAlreadyHeld,
)
from accounts.models import (
    PARENT_LEVEL,
    CalendarOverride,
    Invitation,
    InvitationStatus,
    Membership,
    Organisation,
    Region,
    RegionLevel,
    RoleAssignment,
    User,
)
from accounts.permissions import forget_scopes, has_perm
from accounts.roles import Perm, Role
from accounts.transitions import Workflow

INVITATION = Workflow(
    "invitation",
    {
        InvitationStatus.PENDING: {
            InvitationStatus.ACCEPTED,
            InvitationStatus.REVOKED,
            InvitationStatus.EXPIRED,
        },
    },
)


# --- Profile ----------------------------------------------------------------------------


def profile_update(*, user: User, display_name: str, phone, preferred_language: str) -> User:
    """Change what a user says about themselves."""
    with transaction.atomic():
        user.display_name = display_name.strip()
        user.phone = phone
        user.preferred_language = preferred_language
        user.save(update_fields=["display_name", "phone", "preferred_language"])
        audit.record(actor=user, verb="profile.update", target=user)
    return user


# --- Regions ----------------------------------------------------------------------------


def region_create(
    *,
    actor: User | None,
    name: str,
    code: str,
    level: str,
    parent: Region | None = None,
    name_en: str = "",
) -> Region:
    """Add a region under *parent* (a city has none).

    Raises:
        InvalidRegionParent: the parent's level does not sit directly above *level*.
        NotPermitted: *actor* may not administer *parent*.
    """
    if PARENT_LEVEL[RegionLevel(level)] != (parent.level if parent else None):
        raise InvalidRegionParent()
    if actor is not None and not (
        actor.is_superuser or (parent and has_perm(actor, Perm.ROLE_ASSIGN, parent))
    ):
        raise NotPermitted()
    with transaction.atomic():
        region = Region.objects.create(
            name=name,
            name_en=name_en,
            code=code,
            level=level,
            parent=parent,
            path=Region.path_for(code, parent),
        )
        audit.record(actor=actor, verb="region.create", target=region, region=region)
    return region


# --- Roles ------------------------------------------------------------------------------


def _require(actor: User, perm: Perm, region: Region) -> None:
    if not has_perm(actor, perm, region):
        raise NotPermitted()


def role_assign(
    *, actor: User, user: User, role: Role | str, region: Region, reason: str = ""
) -> RoleAssignment:
    """Give *user* the *role* over *region*.

    Raises:
        NotPermitted: *actor* may not assign roles in *region*.
        RoleAlreadyHeld: the user already holds this role there.
    """
    _require(actor, Perm.ROLE_ASSIGN, region)
    role = Role(role)
    with transaction.atomic():
        # Lock the user row so two admins granting the same role cannot both pass the check.
        User.objects.select_for_update().get(pk=user.pk)
        if RoleAssignment.objects.active().filter(user=user, role=role, region=region).exists():
            raise RoleAlreadyHeld()
        assignment = RoleAssignment.objects.create(
            user=user, role=role, region=region, granted_by=actor
        )
        audit.record(
            actor=actor,
            verb="role.assign",
            target=assignment,
            region=region,
            reason=reason,
            data={"user": user.pk, "role": str(role)},
        )
    forget_scopes(user)
    return assignment


def role_revoke(*, actor: User, assignment: RoleAssignment, reason: str = "") -> RoleAssignment:
    """End a role assignment; the row stays for the record.

    Raises:
        NotPermitted: *actor* may not assign roles in the assignment's region.
        OwnRole: *actor* would revoke their own role (another administrator must).
    """
    _require(actor, Perm.ROLE_ASSIGN, assignment.region)
    if assignment.user_id == actor.pk and not actor.is_superuser:
        raise OwnRole()
    with transaction.atomic():
        locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.revoked_at is not None:
            return locked  # already revoked: a repeated call is a harmless no-op
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            actor=actor,
            verb="role.revoke",
            target=locked,
            region=locked.region,
            reason=reason,
            data={"user": locked.user_id, "role": locked.role},
        )
    forget_scopes(locked.user)
    return locked


# --- Organisations ----------------------------------------------------------------------


def organisation_create(*, actor: User, admin: User | None = None, **fields) -> Organisation:
    """Register an organisation; *admin* (default: the actor) becomes its first administrator."""
    with transaction.atomic():
        organisation = Organisation.objects.create(**fields)
        Membership.objects.create(organisation=organisation, user=admin or actor, is_admin=True)
        audit.record(
            actor=actor,
            verb="organisation.create",
            target=organisation,
            region=organisation.region,
            data={"admin": (admin or actor).pk},
        )
    return organisation


def _is_org_admin(user: User, organisation: Organisation) -> bool:
    return Membership.objects.filter(organisation=organisation, user=user, is_admin=True).exists()


def _lock_admins(organisation: Organisation) -> list[int]:
    """Lock the organisation's row and return its administrators' user ids (under the lock)."""
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    return list(organisation.memberships.filter(is_admin=True).values_list("user_id", flat=True))


def membership_remove(*, actor: User, membership: Membership, reason: str = "") -> None:
    """Remove a member: an administrator removes anyone, a member may leave.

    Raises:
        NotPermitted: *actor* is neither an administrator nor the member.
        LastAdmin: it would leave the organisation without an administrator.
    """
    organisation = membership.organisation
    leaving = membership.user_id == actor.pk
    if not leaving and not _is_org_admin(actor, organisation):
        raise NotPermitted()
    with transaction.atomic():
        admins = _lock_admins(organisation)
        locked = Membership.objects.filter(pk=membership.pk).first()
        if locked is None:
            return  # already gone: a repeated call is a harmless no-op
        if locked.is_admin and admins == [locked.user_id]:
            raise LastAdmin()
        audit.record(
            actor=actor,
            verb="membership.leave" if leaving else "membership.remove",
            target=organisation,
            region=organisation.region,
            reason=reason,
            data={"user": locked.user_id, "was_admin": locked.is_admin},
        )
        locked.delete()


def membership_set_admin(*, actor: User, membership: Membership, is_admin: bool) -> Membership:
    """Make a member an administrator, or an administrator a plain member.

    Raises:
        NotPermitted: *actor* is not an administrator of the organisation.
        LastAdmin: it would leave the organisation without an administrator.
    """
    organisation = membership.organisation
    if not _is_org_admin(actor, organisation):
        raise NotPermitted()
    with transaction.atomic():
        admins = _lock_admins(organisation)
        locked = Membership.objects.get(pk=membership.pk)
        if locked.is_admin == is_admin:
            return locked
        if not is_admin and admins == [locked.user_id]:
            raise LastAdmin()
        locked.is_admin = is_admin
        locked.save(update_fields=["is_admin"])
        audit.record(
            actor=actor,
            verb="membership.admin" if is_admin else "membership.member",
            target=organisation,
            region=organisation.region,
            data={"user": locked.user_id},
        )
    return locked


def organisation_invite(
    *, actor: User, organisation: Organisation, email: str, as_admin: bool = False
) -> Invitation:
    """Invite *email* to join *organisation*; the mail goes out after commit.

    Raises:
        NotPermitted: *actor* is not an administrator of the organisation.
        AlreadyMember: someone with that email is already a member.
        InvitationPending: an open invitation to that email exists.
    """
    email = email.strip().lower()
    if not _is_org_admin(actor, organisation):
        raise NotPermitted()
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        if organisation.memberships.filter(user__email__iexact=email).exists():
            raise AlreadyMember(email=email)
        stale = organisation.invitations.filter(email=email, status=InvitationStatus.PENDING)
        for old in stale.select_for_update():
            if old.is_open:
                raise InvitationPending(email=email)
            INVITATION.move(old, InvitationStatus.EXPIRED, actor=None, region=organisation.region)
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            as_admin=as_admin,
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        audit.record(
            actor=actor,
            verb="invitation.create",
            target=invitation,
            region=organisation.region,
            data={"as_admin": as_admin},
        )
        from accounts.tasks import invitation_send  # tasks call services: import late, no cycle

        invitation_send.delay_on_commit(invitation.pk)
    return invitation


def invitation_accept(*, user: User, token: str) -> Membership:
    """Accept an invitation: the user becomes a member (idempotent for the same user).

    Raises:
        InvitationNotOpen: unknown token, withdrawn or expired.
        InvitationForSomeoneElse: the invitation names another email address.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("organisation")
            .filter(token=token)
            .first()
        )
        if invitation is None:
            raise InvitationNotOpen()
        if invitation.email.lower() != user.email.lower():
            raise InvitationForSomeoneElse()
        if invitation.status == InvitationStatus.ACCEPTED and invitation.accepted_by_id == user.pk:
            return Membership.objects.get(organisation=invitation.organisation, user=user)
        if not invitation.is_open:
            raise InvitationNotOpen()
        membership, created = Membership.objects.get_or_create(
            organisation=invitation.organisation,
            user=user,
            defaults={"is_admin": invitation.as_admin},
        )
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
        INVITATION.move(
            invitation,
            InvitationStatus.ACCEPTED,
            actor=user,
            region=invitation.organisation.region,
            update_fields=["accepted_by", "accepted_at"],
            data={"new_member": created},
        )
    return membership


def invitation_revoke(*, actor: User, invitation: Invitation, reason: str = "") -> Invitation:
    """Withdraw a pending invitation.

    Raises:
        NotPermitted: *actor* is not an administrator of the organisation.
        InvalidTransition: the invitation is no longer pending.
    """
    if not _is_org_admin(actor, invitation.organisation):
        raise NotPermitted()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status == InvitationStatus.REVOKED:
            return locked
        INVITATION.move(
            locked,
            InvitationStatus.REVOKED,
            actor=actor,
            reason=reason,
            region=invitation.organisation.region,
        )
    return locked


def invitations_expire(*, now=None) -> int:
    """Mark pending invitations past their expiry as expired. Returns how many."""
    now = now or timezone.now()
    count = 0
    due = Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__lte=now)
    for pk in due.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update().select_related("organisation").get(pk=pk)
            )
            if invitation.status != InvitationStatus.PENDING:
                continue  # someone accepted or revoked it meanwhile
            INVITATION.move(
                invitation,
                InvitationStatus.EXPIRED,
                actor=None,
                region=invitation.organisation.region,
            )
            count += 1
    return count


# --- Calendar ---------------------------------------------------------------------------


def calendar_override_set(
    *, actor: User, day: date, is_working_day: bool, note: str = "", region: Region | None = None
) -> CalendarOverride:
    """Record that *day* is (or is not) a working day, whatever the holiday library says.

    Raises:
        NotPermitted: *actor* may not edit the calendar (city administrators only).
    """
    region = region or Region.objects.filter(parent__isnull=True).order_by("pk").first()
    if region is None or not has_perm(actor, Perm.CALENDAR_EDIT, region):
        raise NotPermitted()
    with transaction.atomic():
        override, _ = CalendarOverride.objects.update_or_create(
            date=day, defaults={"is_working_day": is_working_day, "note": note}
        )
        audit.record(
            actor=actor,
            verb="calendar.override",
            target=override,
            region=region,
            reason=note,
            data={"date": day.isoformat(), "is_working_day": is_working_day},
        )
    return override
