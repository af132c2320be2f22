"""Forms of the marketplace's public pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Region, RegionLevel
from marketplace.models import LineKind, ListingKind, ListingStatus
from marketplace.selectors import FILTER_STATUSES, ListingFilters
from projects.models import Category as ProjectCategory
from wishes.forms.staff import HtmlDateInput
from wishes.models import Category, Urgency

AMOUNT_MAX = 10_000_000


def _any(label) -> list[tuple[str, Any]]:
    return [("", label)]


class ListingFilterForm(forms.Form):
    """Search, filters and order of the public list (a GET form).

    ``regions`` are the towns and communities to offer, read once by the view, so the form
    costs no query of its own. A filter that does not validate is shown with its error and
    left out; the others still apply.
    """

    q = forms.CharField(
        label=_("Search"),
        max_length=100,
        required=False,
        widget=forms.SearchInput(attrs={"placeholder": _("e.g. wheelchair, tuition")}),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        # Wishes' and projects' own words, grouped; "other" is one choice for both.
        choices=_any(_("All categories"))
        + [
            (_("Wishes"), Category.choices),
            (
                _("Community projects"),
                [c for c in ProjectCategory.choices if c[0] not in Category.values],
            ),
        ],
        required=False,
    )
    town = forms.TypedChoiceField(label=_("Town or street"), coerce=int, required=False)
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False)
    kind = forms.ChoiceField(
        label=pgettext_lazy("listing filter", "Kind"),
        choices=_any(_("Wishes and projects")) + ListingKind.choices,
        required=False,
    )
    needs = forms.ChoiceField(
        label=_("What is needed"),
        choices=_any(_("Money, goods or service")) + LineKind.choices,
        required=False,
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=_any(_("Any urgency")) + Urgency.choices, required=False
    )
    deadline_before = forms.DateField(
        label=_("Deadline on or before"), required=False, widget=HtmlDateInput()
    )
    amount_min = forms.DecimalField(
        label=_("Money needed from (¥)"),
        min_value=0,
        max_value=AMOUNT_MAX,
        decimal_places=2,
        required=False,
    )
    amount_max = forms.DecimalField(
        label=_("Money needed up to (¥)"),
        min_value=0,
        max_value=AMOUNT_MAX,
        decimal_places=2,
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=_any(_("Open first, then all others"))
        + [(status.value, status.label) for status in map(ListingStatus, FILTER_STATUSES)],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[
            ("need", _("Need index (highest first)")),
            ("deadline", _("Deadline (soonest first)")),
            ("newest", _("Newest first")),
            ("goal", _("Closest to its money goal")),
        ],
        required=False,
    )

    def __init__(self, *args, regions: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        towns = {r.pk: r for r in regions if r.level == RegionLevel.TOWN}
        self.fields["town"].choices = _any(_("All towns")) + [
            (pk, town.label) for pk, town in towns.items()
        ]
        # Communities grouped under their town, so two 新村 in different towns differ.
        groups: dict[int, list[tuple[int, str]]] = {}
        for region in regions:
            if region.level == RegionLevel.COMMUNITY and region.parent_id in towns:
                groups.setdefault(region.parent_id, []).append((region.pk, region.label))
        self.fields["community"].choices = _any(_("All communities")) + [
            (towns[pk].label, options) for pk, options in groups.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("Enter an amount no smaller than the one before."))
        return data

    def filters(self) -> ListingFilters:
        """The valid filters (an unbound form: none, the default order)."""
        if not self.is_bound:
            return ListingFilters()
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}
        return ListingFilters(
            search=data.get("q", ""),
            category=data.get("category", ""),
            town=data.get("town"),
            community=data.get("community"),
            kind=data.get("kind", ""),
            needs=data.get("needs", ""),
            urgency=data.get("urgency", ""),
            deadline_before=data.get("deadline_before"),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            status=data.get("status", ""),
            sort=data.get("sort") or "need",
        )
