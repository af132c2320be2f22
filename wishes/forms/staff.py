"""Forms of the staff side: the queue's filters, intake, each lifecycle action, aid, weights.

Forms parse and check input only; the services guard permission and state again.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, RegionLevel, Station
from accounts.money import format_cny
from marketplace.forms_disbursements import clean_account
from wishes.forms.common import ID_NUMBER_PATTERN, WishFieldsForm
from wishes.models import (
    MAX_MONEY_NEED,
    AidSource,
    Category,
    Channel,
    DisabilityGrade,
    Housing,
    Route,
    Status,
    Urgency,
    Wish,
)
from wishes.need_index import DEFAULT_WEIGHTS

REASON_MAX = 2000


def _any(label) -> list[tuple[str, Any]]:
    return [("", label)]


# --- The queue --------------------------------------------------------------------------


class HtmlDateInput(forms.DateInput):
    """A browser date picker. Its value must be ISO (YYYY-MM-DD) whatever the page's
    language: the Chinese locale's own format (2026/11/22) would leave the picker empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class Sort:
    NEED = "need"
    DEADLINE = "deadline"
    NEWEST = "newest"

    CHOICES = [
        (NEED, _("Need index (highest first)")),
        (DEADLINE, _("Deadline (soonest first)")),
        (NEWEST, _("Newest first")),
    ]
    ORDER = {
        NEED: (F("need_index").desc(), F("due_on").asc(nulls_last=True), "pk"),
        DEADLINE: (F("due_on").asc(nulls_last=True), F("need_index").desc(), "pk"),
        NEWEST: (F("created_at").desc(), F("pk").desc()),
    }


class QueueFilterForm(forms.Form):
    """Filters of the wish queue (a GET form). Towns and communities are those in scope.

    ``regions`` is the list of towns and communities the user looks after, read once by
    the view, so the form costs no query of its own.
    """

    status = forms.ChoiceField(
        label=_("Status"), choices=_any(_("All statuses")) + Status.choices, required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=_any(_("All categories")) + Category.choices, required=False
    )
    channel = forms.ChoiceField(
        label=_("Received through"),
        choices=_any(_("All channels")) + Channel.choices,
        required=False,
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=_any(_("Any urgency")) + Urgency.choices, required=False
    )
    # Published express wishes waiting for payment: status "published" with route "express".
    route = forms.ChoiceField(
        label=_("Route"), choices=_any(_("All routes")) + Route.choices, required=False
    )
    town = forms.TypedChoiceField(label=_("Town or street"), coerce=int, required=False)
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False)
    overdue = forms.BooleanField(
        label=_("Overdue only"),
        required=False,
        widget=forms.CheckboxInput(attrs={"value": "yes"}),
    )
    sort = forms.ChoiceField(label=_("Sort by"), choices=Sort.CHOICES, required=False)

    def __init__(self, *args, regions: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        self.paths = {region.pk: region.path for region in regions}
        towns = [r for r in regions if r.level == RegionLevel.TOWN]
        communities = [r for r in regions if r.level == RegionLevel.COMMUNITY]
        if len(towns) > 1:
            self.fields["town"].choices = _any(_("All towns")) + [(r.pk, r.label) for r in towns]
        else:
            del self.fields["town"]
        if len(communities) > 1:
            self.fields["community"].choices = _any(_("All communities")) + [
                (r.pk, f"{r.parent.label} · {r.label}" if r.parent else r.label)
                for r in communities
            ]
        else:
            del self.fields["community"]

    def filter(self, wishes: QuerySet[Wish]) -> QuerySet[Wish]:
        """*wishes* narrowed and ordered by the valid filters; invalid ones are ignored."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        for name in ("status", "category", "channel", "urgency", "route"):
            if data.get(name):
                wishes = wishes.filter(**{name: data[name]})
        for name in ("town", "community"):
            if data.get(name):
                wishes = wishes.filter(station__community__path__startswith=self.paths[data[name]])
        if data.get("overdue"):
            wishes = wishes.overdue()
        return wishes.order_by(*Sort.ORDER[data.get("sort") or Sort.NEED])


# --- Intake -----------------------------------------------------------------------------


class IntakeForm(WishFieldsForm):
    """What staff record when they take a wish in on someone's behalf."""

    channel = forms.ChoiceField(label=_("Received through"), choices=Channel.choices)
    field_order = ["channel", "title", "story", "category", "urgency"]


class HouseholdLookupForm(forms.Form):
    """Is the person already on record here? Looked up by the blind index, never decrypted."""

    lookup_id = forms.RegexField(
        label=_("National ID number"),
        regex=ID_NUMBER_PATTERN,
        required=False,
        error_messages={
            "invalid": _("A resident ID number has 18 characters: 17 digits, then a digit or X.")
        },
        help_text=_(
            "Optional. If the person already has a record in your area, the wish is added to it."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_lookup_id(self) -> str:
        return self.cleaned_data["lookup_id"].upper()


# --- Actions on one wish ----------------------------------------------------------------


def _reason_field(label=None, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label or _("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please give a reason.")},
        **kwargs,
    )


class ReasonForm(forms.Form):
    reason = _reason_field(help_text=_("Recorded in the audit trail."))


class _OwnIds(forms.Form):
    """Several action forms share one page: each gets its own element ids (names stay)."""

    id_prefix = "action"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class VerifyForm(_OwnIds):
    id_prefix = "verify"
    visited_on = forms.DateField(label=_("Visited on"), widget=HtmlDateInput())
    notes = forms.CharField(
        label=_("Home-visit notes"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Private: seen only by staff allowed to see personal data."),
        error_messages={"required": _("Please write down what the visit found.")},
    )

    def clean_visited_on(self) -> date:
        visited_on = self.cleaned_data["visited_on"]
        if visited_on > timezone.localdate():
            raise forms.ValidationError(_("The visit date cannot be in the future."))
        return visited_on


class ReferForm(_OwnIds):
    id_prefix = "refer"
    to_station = forms.ModelChoiceField(label=_("Hand to station"), queryset=Station.objects.none())
    reason = _reason_field()

    def __init__(self, *args, wish: Wish, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to_station"]
        field.queryset = (
            Station.objects.active()
            .exclude(pk=wish.station_id)
            .select_related("community__parent")
            .order_by("community__path", "name")
        )
        field.label_from_instance = lambda s: (
            f"{s.label} ({s.community.parent.label} · {s.community.label})"
        )


class ReviewForm(_OwnIds):
    """Approve and route a verified wish. The duplicate reason is required when the check
    warns; the service refuses without it too."""

    id_prefix = "review"

    route = forms.ChoiceField(label=_("Route"), choices=Route.choices, widget=forms.RadioSelect)
    express_amount = forms.DecimalField(
        label=_("Express amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_MONEY_NEED,
        required=False,
        help_text=_("For the express route: paid from the public special fund."),
    )
    policy_department = forms.CharField(
        label=_("Department"),
        max_length=100,
        required=False,
        help_text=_("For a policy referral: the department whose scheme covers this need."),
    )
    policy_due_on = forms.DateField(
        label=_("Department to answer by"),
        required=False,
        widget=HtmlDateInput(),
    )
    reason = _reason_field(required=False, help_text=_("Recorded in the audit trail."))
    duplicate_reason = forms.CharField(
        label=_("Why go ahead despite other aid"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, duplicates: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates = duplicates
        if duplicates:
            self.fields["duplicate_reason"].required = True
            self.fields["duplicate_reason"].error_messages["required"] = _(
                "This household has other open or recent wishes or aid: record why this wish "
                "should go ahead anyway."
            )
        else:
            del self.fields["duplicate_reason"]

    def clean(self):
        data = super().clean()
        route = data.get("route")
        missing_amount = not data.get("express_amount") and "express_amount" not in self.errors
        if route == Route.EXPRESS and missing_amount:
            self.add_error("express_amount", _("The express route needs an amount."))
        if route == Route.POLICY:
            if not data.get("policy_department") and "policy_department" not in self.errors:
                self.add_error(
                    "policy_department", _("A policy referral needs the responsible department.")
                )
            due = data.get("policy_due_on")
            if not due and "policy_due_on" not in self.errors:
                self.add_error("policy_due_on", _("A policy referral needs a date to answer by."))
            elif due and due < timezone.localdate():
                self.add_error("policy_due_on", _("The date to answer by cannot be in the past."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        route = data["route"]
        return {
            "route": route,
            "reason": data.get("reason", ""),
            "duplicate_reason": data.get("duplicate_reason", ""),
            "express_amount": data.get("express_amount") if route == Route.EXPRESS else None,
            "policy_department": data.get("policy_department", "") if route == Route.POLICY else "",
            "policy_due_on": data.get("policy_due_on") if route == Route.POLICY else None,
        }


class AnswerForm(_OwnIds):
    id_prefix = "answer"
    answer = forms.CharField(
        label=_("The department's answer"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please record what the department answered.")},
    )


class ObjectionDecideForm(forms.Form):
    UPHOLD = "uphold"
    DISMISS = "dismiss"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (UPHOLD, _("Uphold: the objection is right, withdraw the wish")),
            (DISMISS, _("Dismiss: the wish goes ahead")),
        ],
        widget=forms.RadioSelect,
    )
    reason = _reason_field()

    @property
    def uphold(self) -> bool:
        return self.cleaned_data["decision"] == self.UPHOLD


class ExpressPayForm(_OwnIds):
    """Pay a published express wish from a fund. The amount is the wish's express amount,
    shown, not typed; the funds offered are those the user manages whose region holds the
    wish's community, each with what it has free."""

    id_prefix = "express_pay"

    fund = forms.ModelChoiceField(
        label=_("Pay from fund"),
        queryset=None,
        empty_label=None,
    )
    payee_name = forms.CharField(
        label=_("Payee's name"),
        max_length=120,
        help_text=_("Private: seen only by staff allowed to see personal data."),
    )
    payee_account = forms.CharField(
        label=_("Payee's bank account"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("Private: seen only by staff allowed to see personal data."),
    )
    payment_reference = forms.CharField(
        label=_("Payment reference"),
        max_length=120,
        help_text=_("The bank transfer's number, so the payment can be traced."),
    )

    def __init__(self, *args, funds: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["fund"]
        field.queryset = funds
        field.label_from_instance = lambda fund: (
            _("%(fund)s (free: %(available)s)")
            % {
                "fund": fund.name,
                "available": format_cny(fund.account.balance - (fund.committed or 0)),
            }
        )
        # Read the funds once, for the choices and to say when there are none; validation
        # still looks the chosen fund up in the queryset.
        field.choices = list(iter(field.choices))  # iter(): no COUNT query for a length
        self.has_funds = bool(field.choices)

    def clean_payee_account(self) -> str:
        return clean_account(self.cleaned_data["payee_account"])


class ExpressFallbackForm(_OwnIds):
    """Nobody took a direct wish up by its deadline: fund it from the public fund instead."""

    id_prefix = "express_fallback"

    amount = forms.DecimalField(
        label=_("Express amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_MONEY_NEED,
        error_messages={"min_value": _("Enter an amount above zero.")},
    )
    reason = _reason_field(help_text=_("Recorded in the audit trail."))


class AidRecordForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=HtmlDateInput())
    value = forms.DecimalField(
        label=_("Value (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("1000000"),
    )
    source = forms.ChoiceField(label=_("Source"), choices=AidSource.choices)
    description = forms.CharField(label=_("What was received"), max_length=200)

    def clean_received_on(self) -> date:
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return received_on


# --- The need-index weights -------------------------------------------------------------

WEIGHT_LABELS = {
    "minimum_living_standard": _("Minimum living standard (yuan per person per month)"),
    "income_gap": _("Points for income at zero (falls to 0 at the standard)"),
    "disability": _("Disability"),
    "serious_illness": _("Serious illness"),
    "housing": _("Housing condition"),
    "dependant_each": _("Points per dependant"),
    "dependants_cap": _("Most points for dependants"),
    "disaster_loss_per_1000": _("Points per 1,000 yuan lost in a disaster or accident"),
    "disaster_loss_cap": _("Most points for disaster loss"),
    "urgency": _("Urgency"),
    "aid_per_1000": _("Points taken off per 1,000 yuan of aid received"),
    "aid_cap": _("Most points taken off for aid"),
    "aid_window_days": _("Aid counts for this many days"),
}
SUB_LABELS = {
    "disability": dict(DisabilityGrade.choices),
    "housing": dict(Housing.choices),
    "urgency": dict(Urgency.choices),
}


def _sub_label(key: str, sub: str):
    labels = SUB_LABELS.get(key, {})
    return labels.get(int(sub) if key == "disability" else sub, sub)


def weight_rows(weights: dict[str, Any]) -> list[tuple[Any, list[tuple[Any, Any]]]]:
    """The weights as (label, [(sub-label or "", value)]) rows, for display."""
    rows = []
    for key, default in DEFAULT_WEIGHTS.items():
        value = weights.get(key, "")
        if isinstance(default, dict):
            value = value if isinstance(value, dict) else {}
            rows.append(
                (WEIGHT_LABELS[key], [(_sub_label(key, s), value.get(s, "")) for s in default])
            )
        else:
            rows.append((WEIGHT_LABELS[key], [("", value)]))
    return rows


def _json_number(value: Decimal) -> int | str:
    """Whole numbers as numbers, others as exact decimal strings (JSON has no Decimal)."""
    return int(value) if value == value.to_integral_value() else str(value.normalize())


class FormulaForm(forms.Form):
    """Every weight of the need index as a number, and a note of what changed."""

    note = forms.CharField(
        label=_("What changed and why"),
        max_length=200,
        error_messages={"required": _("Please say what changed and why.")},
    )

    def __init__(self, *args, current: dict[str, Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.groups: list[tuple[Any, list[str]]] = []
        for key, default in DEFAULT_WEIGHTS.items():
            if isinstance(default, dict):
                names = []
                for sub in default:
                    name = f"{key}__{sub}"
                    self.fields[name] = self._number(
                        _sub_label(key, sub), (current.get(key) or {}).get(sub)
                    )
                    names.append(name)
                self.groups.append((WEIGHT_LABELS[key], names))
            else:
                self.fields[key] = self._number(
                    WEIGHT_LABELS[key], current.get(key), integer=key == "aid_window_days"
                )
                self.groups.append((WEIGHT_LABELS[key], [key]))
        self.order_fields([name for _label, names in self.groups for name in names] + ["note"])

    @staticmethod
    def _number(label, initial, *, integer: bool = False) -> forms.Field:
        if integer:
            return forms.IntegerField(label=label, min_value=1, max_value=3650, initial=initial)
        return forms.DecimalField(
            label=label,
            min_value=Decimal("0"),
            max_value=Decimal("100000"),
            max_digits=9,
            decimal_places=2,
            initial=initial,
        )

    def bound_groups(self):
        return [(label, [self[name] for name in names]) for label, names in self.groups]

    def weights(self) -> dict[str, Any]:
        data = self.cleaned_data
        weights: dict[str, Any] = {}
        for key, default in DEFAULT_WEIGHTS.items():
            if isinstance(default, dict):
                weights[key] = {sub: _json_number(data[f"{key}__{sub}"]) for sub in default}
            elif key == "aid_window_days":
                weights[key] = data[key]
            elif key == "minimum_living_standard":
                weights[key] = f"{data[key]:.2f}"
            else:
                weights[key] = _json_number(data[key])
        return weights
