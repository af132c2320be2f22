"""Errors of the wish lifecycle."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict, LinliError


class ReasonRequired(LinliError):
    code = "reason_required"
    message = _("Please give a reason: it is recorded and the requester is told.")


class DuplicateReasonRequired(LinliError):
    code = "duplicate_reason_required"
    message = _(
        "This household has other open or recent wishes or aid. Record why this wish should go ahead anyway."
    )


class RouteDetailsMissing(LinliError):
    code = "route_details_missing"
    message = _("This route needs more details: %(details)s.")


class NotOnNotice(Conflict):
    code = "not_on_notice"
    message = _("Objections can only be filed while a wish is on public notice.")


class ObjectionAlreadyFiled(Conflict):
    code = "objection_already_filed"
    message = _("You already have an open objection to this wish.")


class NoStation(LinliError):
    code = "no_station"
    message = _("There is no open station for this community yet. Please call the hotline.")


class InvalidAttachment(LinliError):
    code = "invalid_attachment"
    message = _("This file cannot be accepted: %(why)s")


class ConsentRequired(LinliError):
    code = "consent_required"
    message = _("The person's consent to processing their data must be recorded first.")
