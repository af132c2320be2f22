"""Forms of volunteering: a volunteer's profile, finding shifts, and the station's forms."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.formfields import PhoneNumberField

from volunteers import selectors
from volunteers.models import Skill
from volunteers.services import MAX_HOURS, ShiftSpec


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Name shown on certificates"), max_length=60)
    skills = forms.MultipleChoiceField(
        label=_("What you can do"),
        choices=[c for c in Skill.choices if c[0] != Skill.OTHER],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Shifts that need a skill are open to volunteers who have it."),
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Where you can help"),
        queryset=selectors.area_choices(),
        help_text=_("Towns or communities: you will see their stations' shifts."),
    )
    availability = forms.CharField(
        label=_("When you are usually free"), max_length=200, required=False
    )
    weekdays = forms.BooleanField(label=_("Weekdays"), required=False)
    weekends = forms.BooleanField(label=_("Weekends"), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Employer or organisation"),
        queryset=None,
        required=False,
        help_text=_("Your hours count towards its totals. Only organisations you belong to."),
    )
    phone = PhoneNumberField(
        label=_("Mobile phone for reminders"),
        region="CN",
        required=False,
        help_text=_("Never shown to anyone; without it, reminders go to your email."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = selectors.organisations_of(user)
        self.fields["areas"].label_from_instance = lambda region: region.label


class ShiftFilterForm(forms.Form):
    skill = forms.ChoiceField(
        label=_("Skill"), choices=[("", _("Any skill")), *Skill.choices], required=False
    )
    day = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ShiftForm(forms.Form):
    station = forms.ModelChoiceField(label=_("Station"), queryset=None)
    listing_line = forms.ModelChoiceField(
        label=_("For a listing's service line"),
        queryset=None,
        required=False,
        help_text=_("Leave empty for the station's own need."),
    )
    title = forms.CharField(label=_("What"), max_length=100)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label=_("Ends"), widget=forms.TimeInput(attrs={"type": "time"}))
    place = forms.CharField(label=_("Place"), max_length=200)
    skill = forms.ChoiceField(label=_("Skill"), choices=Skill.choices)
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=500)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = selectors.staff_stations(user)
        self.fields["station"].label_from_instance = lambda station: station.label
        self.fields["listing_line"].queryset = selectors.service_lines(user)
        self.fields["listing_line"].label_from_instance = lambda line: (
            f"{line.listing.reference} · {line.listing.title} · {line.description}"
        )

    def clean(self):
        data = super().clean()
        if data.get("starts") and data.get("ends") and data["ends"] <= data["starts"]:
            self.add_error("ends", _("A shift ends after it starts."))
        return data

    def spec(self) -> ShiftSpec:
        data = self.cleaned_data
        return ShiftSpec(
            title=data["title"],
            date=data["date"],
            starts=data["starts"],
            ends=data["ends"],
            place=data["place"],
            skill=data["skill"],
            capacity=data["capacity"],
            listing_line=data["listing_line"],
        )


class ShiftCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class VerifyForm(forms.Form):
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.25"),
        max_value=MAX_HOURS,
        required=False,
        help_text=_("Leave empty to take the check-in and check-out times."),
    )
    reason = forms.CharField(label=_("Reason for a correction"), max_length=200, required=False)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("period", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=pgettext_lazy("period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
