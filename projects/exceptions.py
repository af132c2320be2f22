"""The ways a projects operation can be refused, each with a translated message."""

from django.utils.translation import gettext_lazy as _

from accounts.errors import Conflict, LinliError


class NotACommunity(LinliError):
    code = "not_a_community"
    message = _("Choose a community or village.")


class NoCouncil(LinliError):
    code = "no_council"
    message = _("This community has no council yet: ask the station to set one up.")


class ReasonRequired(LinliError):
    code = "reason_required"
    message = _("Please give a reason.")


class AlreadySupported(Conflict):
    code = "already_supported"
    message = _("You already support this proposal.")


class NotOpenForSupport(Conflict):
    code = "not_open_for_support"
    message = _("This proposal no longer takes support.")


class CannotMerge(LinliError):
    code = "cannot_merge"
    message = _("Only open or tabled proposals of the same community can be merged.")


class OnAgenda(Conflict):
    code = "on_agenda"
    message = _("This proposal is on the agenda of a consultation that has not closed.")


class VotingClosed(Conflict):
    code = "voting_closed"
    message = _("Voting is not open for this consultation.")


class NotAMember(LinliError):
    code = "not_a_member"
    status = 403
    message = _("Only members of this council can vote.")


class ConsultationNotOver(Conflict):
    code = "consultation_not_over"
    message = _("Voting is still open: close the consultation after it ends.")


class BadWindow(LinliError):
    code = "bad_window"
    message = _("Voting must close after it opens.")


class NotPassed(Conflict):
    code = "not_passed"
    message = _("Only an item the council passed can be decided.")


class LinesRequired(LinliError):
    code = "lines_required"
    message = _("Add at least one budget line.")


class NotFunded(Conflict):
    code = "not_funded"
    message = _("The project can be accepted only once everything it needs is pledged.")


class PercentBackwards(LinliError):
    code = "percent_backwards"
    message = _("Progress cannot go below the last update (%(percent)s percent).")


# --- Delivery: the decision, town review, progress, acceptance, ratings, cancelling -------


class ProjectExists(Conflict):
    code = "project_exists"
    message = _("A project was already decided for this proposal.")


class ImplementerRequired(LinliError):
    code = "implementer_required"
    message = _(
        "Name who implements it: a station of the community, a verified organisation, "
        "or the contractor's or team's name."
    )


class EvidenceRequired(LinliError):
    code = "evidence_required"
    message = _("Describe what was checked on site.")


class PercentOutOfRange(LinliError):
    code = "percent_out_of_range"
    message = _("Progress is a whole number from 0 to 100.")


class NotAccepted(Conflict):
    code = "not_accepted"
    message = _("Beneficiaries can rate the project only once it is accepted.")


# --- Proposals and photos (part "proposals") ----------------------------------------------


class LivesHereRequired(LinliError):
    code = "lives_here_required"
    message = _("Please confirm that you live or work in this community.")


class OwnSupport(Conflict):
    code = "own_support"
    message = _("You made this proposal: your own support stays with it.")


class PhotoPersonalDataUnconfirmed(LinliError):
    code = "photo_personal_data_unconfirmed"
    message = _(
        "Please confirm that the photos show no faces, names, addresses, number plates or "
        "documents."
    )


class TooManyProjectPhotos(LinliError):
    code = "too_many_photos"
    message = _("At most %(count)s photos can be added here.")


class ProposalIncomplete(LinliError):
    code = "proposal_incomplete"
    message = _(
        "Please give a title, the problem, the proposed solution, a category, who benefits "
        "(at least one person) and a budget of zero or more."
    )


# --- Consultations and votes ---------------------------------------------------------------


class StartsInPast(LinliError):
    code = "starts_in_past"
    message = _("A consultation must start in the future.")


class AgendaClosed(Conflict):
    code = "agenda_closed"
    message = _("The agenda can be changed only before voting starts.")


class NotTableable(Conflict):
    code = "not_tableable"
    message = _("Only a tabled or previously rejected proposal can be put to a decision.")


class BadChannel(LinliError):
    code = "bad_channel"
    message = _("Record a paper ballot or a show of hands.")


class BadChoice(LinliError):
    code = "bad_choice"
    message = _("Choose for, against or abstain.")


class AttendanceTooLow(LinliError):
    code = "attendance_too_low"
    message = _("The number of people present cannot be less than the members present.")


class ConsultationFinished(Conflict):
    code = "consultation_finished"
    message = _("This consultation is closed or cancelled.")


class BadDeadline(LinliError):
    code = "bad_deadline"
    message = _("The time to complete is 1 to 24 months.")


class BodyRequired(LinliError):
    code = "body_required"
    message = _("Describe what was done.")
