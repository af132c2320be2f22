"""Forms of projects' delivery: the decision with its budget lines, town review, progress,
acceptance, beneficiaries' survey and ratings, and the public list's filter."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation, Station
from feedback.models import LinkChannel, RatingChannel
from marketplace.models import LineKind
from projects.filters import AreaFilterForm
from projects.models import ImplementerKind
from projects.services.delivery import LineInput

PHOTO_FIELDS = ("photo_1", "photo_2", "photo_3")
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class ProjectFilterForm(AreaFilterForm):
    """Town, community and status of the public list (GET)."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            ("funding", _("Open for support")),
            ("in_progress", _("In progress")),
            ("accepted", _("Completed and accepted")),
            ("cancelled", pgettext_lazy("project", "Cancelled")),
            ("overdue", _("Overdue")),
        ],
    )

    def chosen_status(self) -> str:
        if not self.is_bound or not self.is_valid():
            return ""
        return self.cleaned_data.get("status") or ""


class DecisionForm(forms.Form):
    """What the council decided: the work, who benefits, who does it, how, by when."""

    description = forms.CharField(
        label=_("What will be done"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Published: write no names, addresses or phone numbers."),
    )
    beneficiaries = forms.CharField(label=_("Who benefits"), max_length=200)
    beneficiary_count = forms.IntegerField(
        label=_("How many people benefit"), min_value=1, max_value=1_000_000
    )
    implementer_kind = forms.ChoiceField(label=_("Implemented by"), choices=ImplementerKind.choices)
    station = forms.TypedChoiceField(label=_("Station"), coerce=int, required=False)
    organisation = forms.TypedChoiceField(
        label=_("Organisation"),
        coerce=int,
        required=False,
        help_text=_("Verified organisations only."),
    )
    implementer_name = forms.CharField(
        label=_("Contractor or team"),
        max_length=120,
        required=False,
        help_text=_("The contractor's company name or the volunteer team's name."),
    )
    delivery_way = forms.CharField(
        label=_("How it is delivered"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    deadline_months = forms.IntegerField(
        label=_("Months to complete"),
        min_value=1,
        max_value=24,
        initial=6,
        help_text=_("Counted from the town's approval."),
    )

    def __init__(
        self,
        *args: Any,
        stations: list[Station],
        organisations: list[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Choices from the lists the view read, so validating costs no extra query.
        self._stations = {s.pk: s for s in stations}
        self._organisations = {o.pk: o for o in organisations}
        self.fields["station"].choices = [("", _("Choose a station"))] + [
            (s.pk, s.label) for s in stations
        ]
        self.fields["organisation"].choices = [("", _("Choose an organisation"))] + [
            (o.pk, o.name) for o in organisations
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("implementer_kind")
        if kind == ImplementerKind.STATION and not data.get("station"):
            self.add_error("station", _("Choose the station that implements it."))
        elif kind == ImplementerKind.ORGANISATION and not data.get("organisation"):
            self.add_error("organisation", _("Choose the organisation that implements it."))
        elif (
            kind in (ImplementerKind.CONTRACTOR, ImplementerKind.VOLUNTEERS)
            and not (data.get("implementer_name") or "").strip()
        ):
            self.add_error("implementer_name", _("Name the contractor or the team."))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "description": data["description"],
            "beneficiaries": data["beneficiaries"],
            "beneficiary_count": data["beneficiary_count"],
            "implementer_kind": data["implementer_kind"],
            "station": self._stations.get(data.get("station") or 0),
            "organisation": self._organisations.get(data.get("organisation") or 0),
            "implementer_name": data.get("implementer_name") or "",
            "delivery_way": data["delivery_way"],
            "deadline_months": data["deadline_months"],
        }


class LineForm(forms.Form):
    """One budget line; a row left without what and amount is skipped (so a line can be
    taken out by emptying it)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=LineKind.choices)
    description = forms.CharField(label=_("What"), max_length=200, required=False)
    target = forms.DecimalField(
        label=_("Amount"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Yuan for money, a count for goods, hours for service."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.blank = not (data.get("description") or "").strip() and data.get("target") is None
        if not self.blank and "target" not in self.errors:
            for name in ("description", "target"):
                if data.get(name) in (None, ""):
                    self.add_error(name, forms.Field.default_error_messages["required"])
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self._filled():
            raise forms.ValidationError(_("Add at least one budget line."))

    def _filled(self) -> list[LineForm]:
        return [form for form in self.forms if form.cleaned_data and not form.blank]

    def lines(self) -> list[LineInput]:
        return [
            LineInput(
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                target=form.cleaned_data["target"],
            )
            for form in self._filled()
        ]


LineFormSet = formset_factory(LineForm, formset=BaseLineFormSet, extra=4, max_num=20)


class SendBackForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it goes back to the council"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The council sees this reason."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Public reason for cancelling"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Published on the project's page: write no names or phone numbers. Pledges are "
            "released and received money is refunded."
        ),
    )


class _PhotosForm(forms.Form):
    photo_1 = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    photo_2 = forms.FileField(
        label=_("Another photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    photo_3 = forms.FileField(
        label=pgettext_lazy("third photo", "One more photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    no_personal_data = forms.BooleanField(
        label=_(
            "The photos show no faces, names, addresses, number plates or documents "
            "(they are published)."
        ),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photo_1"].help_text = _(
            "Up to three photos (JPEG, PNG, WebP or GIF), at most %(megabytes)d MB each."
        ) % {"megabytes": settings.WISH_ATTACHMENT_MAX_BYTES // (1024 * 1024)}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.photos() and not data.get("no_personal_data"):
            self.add_error(
                "no_personal_data",
                _("Please confirm that the photos show no personal data, or leave them out."),
            )
        return data

    def photos(self) -> list:
        data = getattr(self, "cleaned_data", {})
        return [data[name] for name in PHOTO_FIELDS if data.get(name)]


class ProgressForm(_PhotosForm):
    body = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Published: write no names or phone numbers."),
    )
    milestone = forms.CharField(label=_("Milestone"), max_length=80, required=False)
    percent = forms.IntegerField(label=_("Percent complete"), min_value=0, max_value=100)
    field_order = ["body", "milestone", "percent"]


class AcceptForm(_PhotosForm):
    note = forms.CharField(
        label=_("Evidence: what was checked on site"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Published: write no names or phone numbers."),
    )
    field_order = ["note"]


class SurveyForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=[
            (LinkChannel.SMS, LinkChannel.SMS.label),
            (LinkChannel.EMAIL, LinkChannel.EMAIL.label),
        ],
    )
    addresses = forms.CharField(
        label=_("Mobile numbers or email addresses, one per line"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Used to send the links only: they are not stored."),
    )

    def address_list(self) -> list[str]:
        return self.cleaned_data["addresses"].splitlines()


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Score"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    received = forms.BooleanField(label=_("The work reached them"), required=False, initial=True)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    complaint = forms.CharField(
        label=_("Complaint"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A complaint or a score of 2 or below opens a case for the town."),
    )
    channel = forms.ChoiceField(
        label=_("Asked by"),
        choices=[
            (RatingChannel.FOLLOW_UP_VISIT, RatingChannel.FOLLOW_UP_VISIT.label),
            (RatingChannel.PHONE, RatingChannel.PHONE.label),
        ],
    )
