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
