"""Errors of confirmation links, ratings, follow-up visits and cases."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict, LinliError


class LinkNotValid(LinliError):
    """Unknown, used or expired: one answer for all three, so a guess learns nothing."""

    code = "link_not_valid"
    status = 404
    message = _(
        "This link cannot be used. It may have been used already, it may have expired, or it "
        "may be mistyped. If you still want to tell us how it went, please contact your "
        "community station."
    )


class NotDelivered(LinliError):
    code = "not_delivered"
    status = 409
    message = _("Recipients are asked for their confirmation only after the delivery.")


class NoRespondent(LinliError):
    code = "no_respondent"
    message = _("There is no one on record to send this link to.")


class NoContact(LinliError):
    code = "no_contact"
    message = _("There is no phone number or email address on record for this channel.")


class LinkStillOpen(Conflict):
    code = "link_still_open"
    message = _("A confirmation link was already sent and can still be answered.")


class AlreadyAnswered(Conflict):
    code = "already_answered"
    message = _("The recipient has already answered; there is nothing left to record.")


class NoteRequired(LinliError):
    code = "note_required"
    message = _("Please write a note on what was done.")


class InvalidScore(LinliError):
    code = "invalid_score"
    message = _("Please choose a score from 1 to 5.")


# --- Several beneficiaries (community projects) ------------------------------------------


class BadAddress(LinliError):
    code = "bad_address"
    message = _("Line %(line)s is not a valid mobile number or email address.")


class TooManyAddresses(LinliError):
    code = "too_many_addresses"
    message = _("Send at most %(limit)s links at a time.")


class NoAddresses(LinliError):
    code = "no_addresses"
    message = _("Enter at least one mobile number or email address, one per line.")
