"""Errors of paying and refunding."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict, LinliError


class NotPayable(Conflict):
    code = "not_payable"
    message = _("This pledge is no longer waiting for payment.")


class ProviderUnavailable(LinliError):
    code = "provider_unavailable"
    message = _("This way of paying is not available at the moment. Please choose another.")


class ReasonRequired(LinliError):
    code = "reason_required"
    message = _("Please give a reason.")


class ReceiptNumberRequired(LinliError):
    code = "receipt_number_required"
    message = _("Please enter the number on the bank's or the station's receipt.")


class NotRefundable(Conflict):
    code = "not_refundable"
    message = _("Only money that has been received can be refunded.")


class AlreadyPaidOut(Conflict):
    code = "already_paid_out"
    message = _(
        "This money has already been paid out for the need, so it cannot be refunded from it."
    )


class ProviderError(LinliError):
    """The provider refused or could not be reached; nothing changed on our side."""

    code = "provider_error"
    status = 502
    message = _("The payment service did not answer. Please try again in a few minutes.")
