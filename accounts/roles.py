"""Roles and what each may do. A role is held over a region and reaches everything below it.

This table is the one place that says which role may do what; services ask
:func:`accounts.permissions.has_perm`, never a role name.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VOLUNTEER = "volunteer", _("Volunteer")
    COUNCIL_MEMBER = "council_member", _("Council member")
    STATION_STAFF = "station_staff", _("Station staff")
    TOWN_REVIEWER = "town_reviewer", _("Town reviewer")
    CITY_ADMIN = "city_admin", _("City administrator")
    SUPERVISOR = "supervisor", _("Supervisor (read-only auditor)")


class Perm(StrEnum):
    """Things a role may do inside its region."""

    WORKSPACE_VIEW = "workspace.view"  # open the staff workspace for the region
    AUDIT_VIEW = "audit.view"  # read the audit trail of the region
    ROLE_ASSIGN = "role.assign"  # give and take roles in the region
    CALENDAR_EDIT = "calendar.edit"  # correct the working-day calendar
    PRIVATE_VIEW = "private.view"  # see recipients' private records (always audited)
    WISH_INTAKE = "wish.intake"  # record a wish on someone's behalf
    WISH_VERIFY = "wish.verify"  # verify a wish after a home visit
    WISH_REVIEW = "wish.review"  # approve, reject and route wishes
    DELIVERY_LOG = "delivery.log"  # log hand-over and evidence at a station
    PROJECT_PROPOSE = "project.propose"  # table a proposal at a council
    PROJECT_VOTE = "project.vote"  # vote in a consultation
    PROJECT_REVIEW = "project.review"  # approve a council's decision
    FUND_MANAGE = "fund.manage"  # allocate and pay out public funds
    SHIFT_SIGNUP = "shift.signup"  # sign up for volunteer shifts
    FORMULA_PUBLISH = "formula.publish"  # publish a new version of the need-index weights


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.VOLUNTEER: frozenset({Perm.SHIFT_SIGNUP}),
    Role.COUNCIL_MEMBER: frozenset({Perm.PROJECT_PROPOSE, Perm.PROJECT_VOTE}),
    Role.STATION_STAFF: frozenset(
        {
            Perm.WORKSPACE_VIEW,
            Perm.PRIVATE_VIEW,
            Perm.WISH_INTAKE,
            Perm.WISH_VERIFY,
            Perm.DELIVERY_LOG,
            Perm.PROJECT_PROPOSE,
        }
    ),
    Role.TOWN_REVIEWER: frozenset(
        {
            Perm.WORKSPACE_VIEW,
            Perm.AUDIT_VIEW,
            Perm.PRIVATE_VIEW,
            Perm.WISH_INTAKE,
            Perm.WISH_REVIEW,
            Perm.PROJECT_REVIEW,
            Perm.FUND_MANAGE,
        }
    ),
    Role.CITY_ADMIN: frozenset(
        {
            Perm.WORKSPACE_VIEW,
            Perm.AUDIT_VIEW,
            Perm.ROLE_ASSIGN,
            Perm.CALENDAR_EDIT,
            Perm.FORMULA_PUBLISH,
            Perm.PRIVATE_VIEW,
            Perm.WISH_REVIEW,
            Perm.PROJECT_REVIEW,
            Perm.FUND_MANAGE,
        }
    ),
    # Supervisors read everything in their region, including the whole trail; they change nothing.
    Role.SUPERVISOR: frozenset({Perm.WORKSPACE_VIEW, Perm.AUDIT_VIEW, Perm.PRIVATE_VIEW}),
}

STAFF_ROLES = frozenset(role for role, perms in ROLE_PERMS.items() if Perm.WORKSPACE_VIEW in perms)
