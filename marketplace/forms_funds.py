"""Forms of the staff's fund pages: open a fund, put money in, allocate it to towns, set up
a matching campaign and move it through its life.

Forms parse and check input, with the services' own messages where the two check the same
thing; the services guard permission, state and money again.
"""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Region, RegionLevel, User
from accounts.permissions import has_perm, has_perm_anywhere
from accounts.roles import Perm
from marketplace import funds, matching
from marketplace import selectors_funds as selectors
from marketplace.forms_staff import HtmlDateInput
from marketplace.models import (
    Campaign,
    CampaignStatus,
    DonorKind,
    Fund,
    FundOwner,
    FundTopUp,
    ListingKind,
    TopUpKind,
)

RATIO_CHOICES = [("", _("None")), ("1.00", "1:1"), ("0.50", "1:0.5")]
TIER_ROWS = 3


def _above_zero(value: Decimal | None) -> None:
    if value is not None and value <= 0:
        raise forms.ValidationError(funds.AmountInvalid.message, code="amount_invalid")


class AmountField(forms.DecimalField):
    """Yuan, two places, above zero (the services' own message when not)."""

    def __init__(self, *, max_digits: int = 12, **kwargs):
        super().__init__(max_digits=max_digits, decimal_places=2, **kwargs)
        self.validators.append(_above_zero)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"
        return attrs


def _reference_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label=_("Reference"),
        max_length=120,
        error_messages={"required": funds.ReferenceRequired.message},
        **kwargs,
    )


class DateTimeLocalInput(forms.DateTimeInput):
    """A browser date-and-time picker; its value is ISO whatever the page's language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class _OwnIds(forms.Form):
    """Several forms share one page: each gets its own element ids (names stay)."""

    id_prefix = "fund"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


# --- Funds ------------------------------------------------------------------------------


class FundCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    owner = forms.ChoiceField(label=_("Whose fund"))
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        help_text=_("Where the fund gives, and whose staff manage it."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("For a company's, a charity's or the charity federation's fund."),
    )
    counterpart_ratio = forms.ChoiceField(
        label=_("Counterpart ratio"),
        choices=RATIO_CHOICES,
        required=False,
        help_text=_(
            "For a town's fund: what the town deposits per yuan the city allocates (1.00 or 0.50)."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user: User, admin_of: list[Organisation], **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.admin_of = {o.pk for o in admin_of}
        owners = []
        if has_perm_anywhere(user, Perm.FUND_MANAGE):
            owners += [o for o in FundOwner if o in selectors.PUBLIC_OWNERS]
        if admin_of:
            owners += [o for o in FundOwner if o in selectors.ORGANISATION_OWNERS]
        self.fields["owner"].choices = [(o.value, o.label) for o in owners]
        self.fields["region"].queryset = selectors.fund_regions(user, admin_of)
        self.fields["organisation"].queryset = selectors.fund_organisations(user)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Fund.objects.filter(name=name).exists():
            raise forms.ValidationError(_("Another fund already has this name."))
        return name

    def clean(self):
        data = super().clean()
        owner, region = data.get("owner"), data.get("region")
        organisation = data.get("organisation")
        if not owner or region is None:
            return data
        if owner == FundOwner.CITY and region.level != RegionLevel.CITY:
            self.add_error("region", _("A city's fund gives over the whole city: choose the city."))
        if owner == FundOwner.TOWN and region.level != RegionLevel.TOWN:
            self.add_error("region", _("A town's fund gives over its town: choose the town."))
        if owner in selectors.PUBLIC_OWNERS and not has_perm(self.user, Perm.FUND_MANAGE, region):
            self.add_error("region", _("You may not open this kind of fund in this region."))
        if owner in (*selectors.ORGANISATION_OWNERS, FundOwner.CHARITY_FEDERATION):
            if organisation is None:
                self.add_error("organisation", _("Choose the organisation whose fund this is."))
            elif owner in selectors.ORGANISATION_OWNERS and organisation.pk not in self.admin_of:
                self.add_error(
                    "organisation", _("Only the organisation's administrators may open its fund.")
                )
        else:
            data["organisation"] = None
        ratio = data.get("counterpart_ratio")
        data["counterpart_ratio"] = Decimal(ratio) if ratio and owner == FundOwner.TOWN else None
        return data


class TopUpForm(_OwnIds):
    id_prefix = "top_up"
    kind = forms.ChoiceField(label=_("Kind"))
    amount = AmountField(label=_("Amount (yuan)"))
    reference = _reference_field(
        help_text=_("The appropriation document, bank transfer or receipt number.")
    )
    source = forms.CharField(
        label=_("From"),
        max_length=120,
        required=False,
        help_text=_(
            "Who put the money in. Shown on the public ledger: for a private person, write "
            "“a private donor”."
        ),
    )
    received_on = forms.DateField(label=_("Received on"), required=False, widget=HtmlDateInput)

    def __init__(self, *args, fund: Fund, **kwargs):
        super().__init__(*args, **kwargs)
        self.fund = fund
        kinds = [k for k in TopUpKind if k != TopUpKind.COUNTERPART or fund.counterpart_ratio]
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip()
        if FundTopUp.objects.filter(fund=self.fund, reference=reference).exists():
            raise forms.ValidationError(_("This reference was recorded for this fund already."))
        return reference

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on and received_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return received_on


class AllocateForm(_OwnIds):
    id_prefix = "allocate"
    target = forms.ModelChoiceField(label=_("To the fund of"), queryset=Fund.objects.none())
    amount = AmountField(label=_("Amount (yuan)"))
    reference = _reference_field(help_text=_("The allocation document's number."))

    def __init__(self, *args, fund: Fund, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        field.queryset = selectors.allocation_targets(fund)
        field.label_from_instance = lambda f: f"{f.region.label} · {f.name}"


# --- Campaigns ----------------------------------------------------------------------------

PRESETS = {
    "one_to_one": [{"up_to": None, "ratio": "1.00"}],
    "half": [{"up_to": None, "ratio": "0.50"}],
    "half_first_50": [{"up_to": "50.00", "ratio": "0.50"}],
}
PRESET_CHOICES = [
    ("", _("As set in the rows below")),
    ("one_to_one", _("1:1 on every yuan")),
    ("half", _("1:0.5 on every yuan")),
    ("half_first_50", _("Half of each donor's first ¥50")),
]


def _preset_of(tiers: list[dict]) -> str:
    normal = [
        {
            "up_to": None if t.get("up_to") in (None, "") else Decimal(str(t["up_to"])),
            "ratio": Decimal(str(t["ratio"])),
        }
        for t in tiers
    ]
    for key, preset in PRESETS.items():
        if normal == [
            {
                "up_to": None if t["up_to"] is None else Decimal(t["up_to"]),
                "ratio": Decimal(t["ratio"]),
            }
            for t in preset
        ]:
            return key
    return ""


class CampaignForm(forms.Form):
    """A campaign's rules. ``tiers`` in ``cleaned_data`` is the ratio as the model keeps it."""

    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.SlugField(
        label=_("Web address"),
        max_length=60,
        required=False,
        help_text=_("Letters, digits and hyphens; made from the name when left empty."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    preset = forms.ChoiceField(
        label=_("Ratio"),
        choices=PRESET_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    pool_cap = AmountField(
        label=_("Pool (yuan)"), help_text=_("The most the campaign adds in all.")
    )
    per_pledge_cap = AmountField(label=_("Cap per pledge"), required=False)
    per_donor_cap = AmountField(label=_("Cap per donor"), required=False)
    per_donor_daily_cap = AmountField(label=_("Cap per donor per day"), required=False)
    per_listing_cap = AmountField(label=_("Cap per listing"), required=False)
    hour_rate = AmountField(
        label=_("Yuan per verified volunteer hour"),
        max_digits=8,
        required=False,
        help_text=_("Paid into the listing for each hour a station verifies. Empty: none."),
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.none(),
        help_text=_("Only listings in this region are matched."),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every category."),
    )
    listing_kinds = forms.MultipleChoiceField(
        label=_("Listing kinds"),
        required=False,
        choices=ListingKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: wishes and projects."),
    )
    donor_kinds = forms.MultipleChoiceField(
        label=_("Donors"),
        required=False,
        choices=DonorKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: everyone."),
    )
    starts_at = forms.DateTimeField(label=_("Starts"), widget=DateTimeLocalInput)
    ends_at = forms.DateTimeField(
        label=_("Ends"),
        required=False,
        widget=DateTimeLocalInput,
        help_text=_("Empty: until it is closed."),
    )

    CAPS = ("per_pledge_cap", "per_donor_cap", "per_donor_daily_cap", "per_listing_cap")

    def __init__(self, *args, fund: Fund, campaign: Campaign | None = None, **kwargs):
        from wishes.models import Category

        if campaign is not None:
            kwargs.setdefault("initial", self._initial(campaign))
        else:
            kwargs.setdefault(
                "initial",
                {
                    "preset": "one_to_one",
                    "region": fund.region_id,
                    "starts_at": timezone.now().replace(second=0, microsecond=0),
                },
            )
        super().__init__(*args, **kwargs)
        self.fund = fund
        self.campaign = campaign
        for index in range(1, TIER_ROWS + 1):
            self.fields[f"tier{index}_up_to"] = AmountField(
                label=_("Up to ¥ (blank: no limit)"), required=False
            )
            self.fields[f"tier{index}_ratio"] = forms.DecimalField(
                label=_("Ratio (e.g. 1.00, 0.50)"),
                required=False,
                max_digits=4,
                decimal_places=2,
            )
        self.fields["region"].queryset = Region.objects.filter(
            path__startswith=fund.region.path
        ).order_by("path")
        self.fields["categories"].choices = Category.choices
        if campaign is not None:
            del self.fields["slug"]

    @staticmethod
    def _initial(campaign: Campaign) -> dict:
        initial = {
            field: getattr(campaign, field)
            for field in (
                "name",
                "description",
                "pool_cap",
                "per_pledge_cap",
                "per_donor_cap",
                "per_donor_daily_cap",
                "per_listing_cap",
                "hour_rate",
                "categories",
                "listing_kinds",
                "donor_kinds",
                "starts_at",
                "ends_at",
            )
        }
        initial["region"] = campaign.region_id
        initial["preset"] = _preset_of(campaign.tiers)
        for index, tier in enumerate(campaign.tiers[:TIER_ROWS], start=1):
            initial[f"tier{index}_up_to"] = tier.get("up_to")
            initial[f"tier{index}_ratio"] = tier.get("ratio")
        return initial

    def tier_rows(self) -> list[tuple]:
        """(up to, ratio) bound fields of each row of the tier editor."""
        return [
            (self[f"tier{index}_up_to"], self[f"tier{index}_ratio"])
            for index in range(1, TIER_ROWS + 1)
        ]

    def _tiers(self, data: dict) -> list[dict] | None:
        preset = data.get("preset")
        if preset:
            return [dict(t) for t in PRESETS[preset]]
        tiers = []
        for index in range(1, TIER_ROWS + 1):
            up_to, ratio = data.get(f"tier{index}_up_to"), data.get(f"tier{index}_ratio")
            if f"tier{index}_up_to" in self.errors or f"tier{index}_ratio" in self.errors:
                return None
            if up_to is None and ratio is None:
                continue
            if ratio is None:
                return None
            tiers.append({"up_to": None if up_to is None else str(up_to), "ratio": str(ratio)})
        return tiers

    def clean(self):
        data = super().clean()
        tiers = self._tiers(data)
        if tiers is None or not matching.tiers_valid(tiers):
            self.add_error("preset", funds.TiersInvalid.message)
        else:
            data["tiers"] = tiers
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must be after the start."))
        return data

    def rules(self) -> funds.CampaignRules:
        data = self.cleaned_data
        return funds.CampaignRules(
            name=data["name"],
            description=data["description"],
            tiers=data["tiers"],
            pool_cap=data["pool_cap"],
            region=data["region"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            per_pledge_cap=data["per_pledge_cap"],
            per_donor_cap=data["per_donor_cap"],
            per_donor_daily_cap=data["per_donor_daily_cap"],
            per_listing_cap=data["per_listing_cap"],
            hour_rate=data["hour_rate"],
            categories=data["categories"],
            listing_kinds=data["listing_kinds"],
            donor_kinds=data["donor_kinds"],
        )


class CampaignMoveForm(forms.Form):
    """Start, pause, resume or close; pausing and closing say why."""

    to = forms.ChoiceField(
        choices=[
            (CampaignStatus.ACTIVE, CampaignStatus.ACTIVE.label),
            (CampaignStatus.PAUSED, CampaignStatus.PAUSED.label),
            (CampaignStatus.CLOSED, CampaignStatus.CLOSED.label),
        ],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail."),
    )

    def __init__(self, *args, to: str, **kwargs):
        kwargs.setdefault("auto_id", f"move-{to}_%s")
        kwargs.setdefault("initial", {"to": to})
        super().__init__(*args, **kwargs)
        if to == CampaignStatus.ACTIVE:
            del self.fields["reason"]

    def clean(self):
        data = super().clean()
        if (
            data.get("to") in (CampaignStatus.PAUSED, CampaignStatus.CLOSED)
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Please give a reason."))
        return data
