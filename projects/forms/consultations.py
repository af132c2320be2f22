"""Forms of consultations: calling a meeting, the ballot, and the secretary's page.

Choices of members, items and proposals come from rows the page already loaded, so the
forms cost no query of their own.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from marketplace.forms_funds import DateTimeLocalInput
from projects.models import (
    AgendaItem,
    ConsultationForm,
    ItemKind,
    Proposal,
    VoteChannel,
    VoteChoice,
)


class _OwnIds(forms.Form):
    """Several forms share one page: each gets its own element ids (names stay)."""

    id_prefix = "consultation"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ConsultationCreateForm(forms.Form):
    form = forms.ChoiceField(label=_("Form of the meeting"), choices=ConsultationForm.choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    place = forms.CharField(
        label=_("Place"),
        max_length=200,
        help_text=_("Where members meet; for an online consultation, say so."),
    )
    starts_at = forms.DateTimeField(label=_("Voting opens"), widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label=_("Voting closes"), widget=DateTimeLocalInput())


class BallotForm(forms.Form):
    """One member's vote on one item (one form per pending item on the ballot page)."""

    item = forms.IntegerField(widget=forms.HiddenInput)
    choice = forms.ChoiceField(
        label=_("Your vote"), choices=VoteChoice.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, item: AgendaItem, **kwargs):
        kwargs.setdefault("auto_id", f"ballot_{item.pk}_%s")
        super().__init__(*args, **kwargs)
        self.fields["item"].initial = item.pk


class AgendaAddForm(_OwnIds):
    id_prefix = "agenda"

    proposal = forms.TypedChoiceField(label=_("Proposal"), coerce=int)
    kind = forms.ChoiceField(label=_("Question"), choices=ItemKind.choices)

    def __init__(self, *args, candidates: list[Proposal], **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {p.pk: p for p in candidates}
        self.fields["proposal"].choices = [
            (p.pk, f"{p.reference} {p.title} ({p.get_status_display()})") for p in candidates
        ]


class AttendanceForm(_OwnIds):
    id_prefix = "attendance"

    members = forms.TypedMultipleChoiceField(
        label=_("Members present"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attendance_count = forms.IntegerField(
        label=_("People present in all"),
        min_value=0,
        help_text=_("Everyone at the meeting, residents included."),
    )

    def __init__(self, *args, members: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {m.pk: m for m in members}
        self.fields["members"].choices = [(m.pk, str(m)) for m in members]

    def chosen(self) -> list[User]:
        return [self.people[pk] for pk in self.cleaned_data["members"]]


class VoteRecordForm(_OwnIds):
    id_prefix = "record"

    item = forms.TypedChoiceField(label=_("Agenda item"), coerce=int)
    member = forms.TypedChoiceField(label=_("Member"), coerce=int)
    choice = forms.ChoiceField(label=_("Vote"), choices=VoteChoice.choices)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (VoteChannel.PAPER, VoteChannel.PAPER.label),
            (VoteChannel.HANDS, VoteChannel.HANDS.label),
        ],
    )

    def __init__(self, *args, items: list[AgendaItem], members: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.items = {i.pk: i for i in items}
        self.people = {m.pk: m for m in members}
        self.fields["item"].choices = [
            (i.pk, f"{i.proposal.reference} {i.proposal.title} ({i.get_kind_display()})")
            for i in items
        ]
        self.fields["member"].choices = [(m.pk, str(m)) for m in members]


class CloseForm(_OwnIds):
    id_prefix = "close"

    summary = forms.CharField(
        label=_("Summary for the minutes"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Published with the minutes: write no names, addresses or phone numbers."),
    )


class CancelForm(_OwnIds):
    id_prefix = "cancel"

    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)
