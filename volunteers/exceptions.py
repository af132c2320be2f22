"""Errors of volunteering."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict, InvalidTransition, LinliError


class NotAVolunteer(LinliError):
    code = "not_a_volunteer"
    message = _("Fill in your volunteer profile before signing up for a shift.")


class SkillMissing(LinliError):
    code = "skill_missing"
    message = _("This shift needs a skill that is not in your volunteer profile.")


class ShiftFull(Conflict):
    code = "shift_full"
    message = _("This shift is full.")


class ShiftNotOpen(InvalidTransition):
    code = "shift_not_open"
    message = _("This shift is no longer open.")


class ShiftStarted(InvalidTransition):
    code = "shift_started"
    message = _("This shift has already started.")


class SignupNotActive(InvalidTransition):
    code = "signup_not_active"
    message = _("This sign-up cannot be changed any more.")


class AlreadyVerified(Conflict):
    code = "already_verified"
    message = _("These hours are already verified.")


class HoursReasonNeeded(LinliError):
    code = "hours_reason_needed"
    message = _("Give a reason when you correct the hours from the check-in and check-out times.")


class HoursOutOfRange(LinliError):
    code = "hours_out_of_range"
    message = _("Hours must be more than 0 and at most 24.")


class NotAServiceLine(LinliError):
    code = "not_a_service_line"
    message = _("Choose a service line of a listing at this station's community.")


class BadArea(LinliError):
    code = "bad_area"
    message = _("Choose towns or communities as your areas.")
