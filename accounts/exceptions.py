"""Errors of people, places and roles."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict, LinliError, NotPermitted


class InvitationNotOpen(LinliError):
    code = "invitation_not_open"
    status = 410
    message = _("This invitation has expired or was withdrawn. Ask the organisation for a new one.")


class InvitationForSomeoneElse(NotPermitted):
    code = "invitation_wrong_user"
    message = _(
        "This invitation was sent to another email address. Sign in with that address to accept it."
    )


class AlreadyMember(Conflict):
    code = "already_member"
    message = _("%(email)s is already a member of this organisation.")


class InvitationPending(Conflict):
    code = "invitation_pending"
    message = _("An invitation to %(email)s is already waiting to be accepted.")


class LastAdmin(Conflict):
    code = "last_admin"
    message = _("An organisation needs at least one administrator.")


class RoleAlreadyHeld(Conflict):
    code = "role_already_held"
    message = _("This person already holds this role in this region.")


class InvalidRegionParent(LinliError):
    code = "invalid_region_parent"
    message = _("A town belongs to a city and a community to a town; a city belongs to nothing.")


class OwnRole(NotPermitted):
    code = "own_role"
    message = _("You cannot revoke your own role; another administrator must do it.")
