"""Errors of goods intake and the delivery log."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict, LinliError


class NotDeliverable(Conflict):
    code = "not_deliverable"
    message = _("Deliveries can only be logged once a need is fully pledged.")


class OverDelivery(Conflict):
    code = "over_delivery"
    message = _("Only %(remaining)s of this line is still to be delivered.")


class NotGoods(LinliError):
    code = "not_goods"
    message = _("Goods can only be received against a goods pledge.")


class PledgeNotActive(Conflict):
    code = "pledge_not_active"
    message = _("This pledge was cancelled or has lapsed; goods cannot be received against it.")


class DiscrepancyRequired(LinliError):
    code = "discrepancy_required"
    message = _(
        "Please describe the discrepancy: the quantity differs from the pledge or the goods "
        "are damaged."
    )


class AttestationReasonRequired(LinliError):
    code = "attestation_reason_required"
    message = _("Please give the reason why staff attest instead of the recipient.")


class AlreadyAttested(Conflict):
    code = "already_attested"
    message = _("This delivery has already been attested.")


class NoStationForListing(LinliError):
    code = "no_station_for_listing"
    message = _("This need has no open station to log deliveries at.")


class NoPersonalDataUnconfirmed(LinliError):
    code = "no_personal_data_unconfirmed"
    message = _(
        "Please confirm that the photo shows no faces, names, addresses or documents before "
        "sharing it with donors."
    )


class TooManyPhotos(LinliError):
    code = "too_many_photos"
    message = _("A delivery can have at most %(count)s photos.")


class NoteRequired(LinliError):
    code = "note_required"
    message = _("Please describe what was handed over or done.")
