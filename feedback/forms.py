"""Forms of the feedback app: the recipient's answer, staff's record, a case step."""

from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import CaseStatus, RatingChannel

SCORES = [
    (5, _("5 — very good")),
    (4, _("4 — good")),
    (3, _("3 — all right")),
    (2, _("2 — poor")),
    (1, _("1 — very poor")),
]
RECEIVED = [("yes", _("Yes, I received it")), ("no", _("No, not (all of) it"))]


class AnswerForm(forms.Form):
    """What the recipient says. Works without JavaScript: the stars are radio buttons."""

    received = forms.ChoiceField(
        label=_("Did you receive what was promised?"),
        choices=RECEIVED,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please say whether you received it.")},
    )
    score = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a score from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Please do not write names, phone numbers or addresses."),
    )
    complaint = forms.CharField(
        label=_("A complaint (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("If something went wrong, the town will look into it and get back to you."),
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "received": data["received"] == "yes",
            "score": data["score"],
            "comment": data["comment"],
            "complaint": data["complaint"],
        }


class RecordForm(AnswerForm):
    """Station staff record the answer on the recipient's behalf."""

    channel = forms.ChoiceField(
        label=_("How did you ask?"),
        choices=[
            (RatingChannel.FOLLOW_UP_VISIT, RatingChannel.FOLLOW_UP_VISIT.label),
            (RatingChannel.PHONE, RatingChannel.PHONE.label),
        ],
        initial=RatingChannel.FOLLOW_UP_VISIT,
        widget=forms.RadioSelect,
    )

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "channel": self.cleaned_data["channel"]}


class CaseMoveForm(forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=CaseStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done; when resolving, the resolution."),
        error_messages={"required": _("Please write a note on what was done.")},
    )

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["to"].choices = [c for c in CaseStatus.choices if c[0] in allowed]
