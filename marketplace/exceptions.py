"""Errors of claiming and pledging."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict, LinliError


class NotOpen(Conflict):
    code = "listing_not_open"
    message = _("This need is no longer open for pledges.")


class AlreadyClaimed(Conflict):
    code = "already_claimed"
    message = _("Someone has already claimed this need. Thank you: please choose another one.")


class PartlyPledged(Conflict):
    code = "partly_pledged"
    message = _(
        "Others have already pledged part of this need, so it cannot be claimed whole. You can still pledge part of it."
    )


class FullyPledged(Conflict):
    code = "fully_pledged"
    message = _("This line is fully pledged already. Thank you all the same.")


class WouldBeClipped(LinliError):
    code = "would_be_clipped"
    message = _(
        "Only %(remaining)s is still needed. Please confirm that you want to pledge that much."
    )


class BelowMinimum(LinliError):
    code = "below_minimum"
    message = _("The smallest money pledge is ¥%(minimum)s.")


class TooManyOpenPledges(LinliError):
    code = "too_many_open_pledges"
    status = 429
    message = _(
        "You have %(count)s pledges waiting for payment. Please complete or cancel them first."
    )


class NotAMember(LinliError):
    code = "not_a_member"
    status = 403
    message = _("You can only act for an organisation you are a member of.")
