"""The town and community filter every public projects page shares (a GET form)."""

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, RegionLevel
from marketplace.selectors import filter_regions

__all__ = ["AreaFilterForm", "filter_regions"]


class AreaFilterForm(forms.Form):
    """Town and community; a value that does not validate is shown with its error and
    left out. ``regions`` come from :func:`filter_regions`, so the form costs no query."""

    town = forms.TypedChoiceField(label=_("Town or street"), coerce=int, required=False)
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False)

    def __init__(self, *args, regions: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        towns = {r.pk: r for r in regions if r.level == RegionLevel.TOWN}
        self.fields["town"].choices = [("", _("All towns"))] + [
            (pk, town.label) for pk, town in towns.items()
        ]
        groups: dict[int, list[tuple[int, str]]] = {}
        for region in regions:
            if region.level == RegionLevel.COMMUNITY and region.parent_id in towns:
                groups.setdefault(region.parent_id, []).append((region.pk, region.label))
        self.fields["community"].choices = [("", _("All communities"))] + [
            (towns[pk].label, options) for pk, options in groups.items()
        ]
        self._paths = {r.pk: r.path for r in regions}

    def area_q(self, field: str = "community") -> Q:
        """A filter on rows whose community (reached by *field*) is in the chosen area."""
        if not self.is_bound or not self.is_valid():
            return Q()
        data: dict[str, Any] = self.cleaned_data
        chosen = data.get("community") or data.get("town")
        if not chosen or chosen not in self._paths:
            return Q()
        return Q(**{f"{field}__path__startswith": self._paths[chosen]})

    def apply(self, queryset: QuerySet, field: str = "community") -> QuerySet:
        return queryset.filter(self.area_q(field))

    def querystring(self) -> str:
        """The chosen filters as a query string (for pagination links)."""
        if not self.is_bound or not self.is_valid():
            return ""
        parts = [f"{k}={v}" for k, v in self.cleaned_data.items() if v not in ("", None)]
        return "&".join(parts)
