"""Forms shared by the online form and staff intake: what is needed, and the household."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from wishes.models import MAX_MONEY_NEED, Category, Household, NeedKind, Urgency
from wishes.services import NeedLine

ID_NUMBER_PATTERN = r"^\d{17}[\dXx]$"


class WishFieldsForm(forms.Form):
    """The public part of a wish. Its story is shown publicly once approved, so it must not
    name the person: the form says so, and reviewers check it."""

    title = forms.CharField(
        label=_("Title"),
        max_length=80,
        help_text=_("Short and without names, e.g. 'A wheelchair for an elderly resident'."),
    )
    story = forms.CharField(
        label=_("Story"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What is needed and why, without names, ID numbers, phone numbers or addresses."
        ),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("Please give the wish a title."))
        return title

    def clean_story(self) -> str:
        story = self.cleaned_data["story"].strip()
        if len(story) < 10:
            raise forms.ValidationError(
                _("Please say in a sentence or two what is needed and why.")
            )
        return story


class NeedLineForm(forms.Form):
    """One line of what is needed. Empty lines are ignored; a line must be complete."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *NeedKind.choices], required=False
    )
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        required=False,
        min_value=Decimal("0.01"),
        max_value=MAX_MONEY_NEED,
    )
    item = forms.CharField(label=_("Item"), max_length=80, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), required=False, min_value=1, max_value=10000)
    specification = forms.CharField(label=_("Specification"), max_length=200, required=False)
    skill = forms.CharField(label=_("Skill"), max_length=80, required=False)
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=6,
        decimal_places=1,
        required=False,
        min_value=Decimal("0.5"),
        max_value=1000,
    )

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        required = {
            NeedKind.MONEY: ["amount"],
            NeedKind.GOODS: ["item", "quantity"],
            NeedKind.SERVICE: ["skill", "hours"],
        }[NeedKind(kind)]
        for field in required:
            if data.get(field) in (None, "") and field not in self.errors:
                self.add_error(field, _("Needed for this kind of line."))
        return data

    def to_line(self) -> NeedLine | None:
        data = self.cleaned_data
        kind = data.get("kind")
        if not kind:
            return None
        if kind == NeedKind.MONEY:
            return NeedLine(kind=kind, amount=data["amount"])
        if kind == NeedKind.GOODS:
            return NeedLine(
                kind=kind,
                item=data["item"].strip(),
                quantity=data["quantity"],
                specification=data["specification"],
            )
        return NeedLine(kind=kind, skill=data["skill"].strip(), hours=data["hours"])


class BaseNeedFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("kind") for form in self.forms):
            raise forms.ValidationError(_("Add at least one thing that is needed."))

    def lines(self) -> list[NeedLine]:
        return [line for form in self.forms if (line := form.to_line()) is not None]


NeedFormSet = forms.formset_factory(
    NeedLineForm, formset=BaseNeedFormSet, extra=3, max_num=10, absolute_max=10
)


class HouseholdForm(forms.ModelForm):
    """The private record of the person and their household. Never shown publicly."""

    id_number = forms.RegexField(
        label=_("National ID number"),
        regex=ID_NUMBER_PATTERN,
        required=False,
        error_messages={
            "invalid": _("A resident ID number has 18 characters: 17 digits, then a digit or X.")
        },
        help_text=_("Stored encrypted. Used only to avoid duplicate aid."),
    )
    consent = forms.BooleanField(
        label=_(
            "The person agrees that Linli stores and processes this information to handle the request."
        ),
        required=True,
        error_messages={
            "required": _("Without the person's consent the request cannot be recorded.")
        },
    )
    consent_note = forms.CharField(
        label=_("How consent was given"),
        max_length=120,
        required=False,
        help_text=_("e.g. signed form, online, by phone"),
    )

    class Meta:
        model = Household
        fields = [
            "head_name",
            "id_number",
            "phone",
            "address",
            "community",
            "member_count",
            "monthly_income_per_person",
            "disability_grade",
            "serious_illness",
            "housing",
            "elderly_dependants",
            "child_dependants",
            "disabled_dependants",
            "disaster_loss",
        ]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})}

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = (
            communities if communities is not None else Region.objects.communities()
        )
        self.fields["community"].label_from_instance = lambda region: (
            f"{region.parent.label} · {region.label}"
        )
        self.fields["community"].queryset = self.fields["community"].queryset.select_related(
            "parent"
        )
        for name in ("monthly_income_per_person", "disaster_loss"):
            self.fields[name].validators.append(MaxValueValidator(Decimal("1000000")))
            self.fields[name].widget.attrs.update({"min": "0", "step": "0.01"})

    def clean_id_number(self) -> str:
        return self.cleaned_data["id_number"].upper()

    def household_fields(self) -> dict:
        """Keyword arguments for ``services.household_create``."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
