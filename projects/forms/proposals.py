"""Forms of proposals: raising one, filtering the list, supporting, merging, withdrawing."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Region, RegionLevel
from projects.filters import AreaFilterForm
from projects.models import Category, ProposalStatus

PHOTO_FIELDS = ("photo_1", "photo_2", "photo_3")
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class ProposalFilterForm(AreaFilterForm):
    """Town, community, status and order of the public list (GET)."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("newest", _("Newest first")), ("supported", _("Most supported first"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status"))] + [
            (value, label)
            for value, label in ProposalStatus.choices
            if value != ProposalStatus.WITHDRAWN
        ]

    def chosen(self, name: str) -> str:
        if not self.is_bound or not self.is_valid():
            return ""
        return self.cleaned_data.get(name) or ""


def community_choices(communities: list[Region]) -> list[tuple[str, list[tuple[int, str]]]]:
    """Communities grouped by their town, for a ``<select>`` with ``<optgroup>``s."""
    groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    for community in communities:
        town = community.parent
        groups.setdefault(town.pk, (town.label, []))[1].append((community.pk, community.label))
    return list(groups.values())


class ProposalForm(forms.Form):
    """A proposal as a resident, council member or grid worker types it, with up to
    three photos of the place."""

    title = forms.CharField(
        label=_("Title"),
        max_length=80,
        help_text=_("In a few words, e.g. 'Handrails on the stairs of building 3'."),
    )
    community = forms.TypedChoiceField(label=_("Community"), coerce=int)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    problem = forms.CharField(
        label=_("What is the problem?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    solution = forms.CharField(
        label=_("What do you propose?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    estimated_budget = forms.DecimalField(
        label=_("Estimated budget (yuan)"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text=_("A rough figure is enough; the consultation fixes the budget."),
    )
    beneficiaries = forms.CharField(
        label=_("Who benefits?"),
        max_length=200,
        help_text=_("Groups, not names, e.g. 'elderly residents of building 3'."),
    )
    beneficiary_count = forms.IntegerField(
        label=_("About how many people benefit?"), min_value=1, max_value=1_000_000
    )
    photo_1 = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    photo_2 = forms.FileField(
        label=pgettext_lazy("second photo", "Another photo"),
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

    def __init__(self, *args: Any, communities: list[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._communities = {c.pk: c for c in communities}
        self.fields["community"].choices = [("", _("Choose a community"))] + community_choices(
            communities
        )
        self.fields["photo_1"].help_text = _(
            "Up to three photos of the place (JPEG, PNG, WebP or GIF), at most "
            "%(megabytes)d MB each. Photos are not kept if the form has to be sent again."
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
        return [self.cleaned_data[name] for name in PHOTO_FIELDS if self.cleaned_data.get(name)]

    def community_region(self) -> Region:
        return self._communities[self.cleaned_data["community"]]

    def proposal_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "community": self.community_region(),
            "title": data["title"],
            "problem": data["problem"],
            "solution": data["solution"],
            "category": data["category"],
            "estimated_budget": data["estimated_budget"],
            "beneficiaries": data["beneficiaries"],
            "beneficiary_count": data["beneficiary_count"],
        }


def proposal_communities() -> list[Region]:
    """Communities that have a council (only they can decide a proposal), by town."""
    return list(
        Region.objects.filter(level=RegionLevel.COMMUNITY, council__isnull=False)
        .select_related("parent")
        .order_by("path")
    )


class SupportForm(forms.Form):
    lives_here = forms.BooleanField(
        label=_("I live or work in this community."),
        help_text=_("Only people of the community should support its proposals."),
        error_messages={"required": _("Please confirm that you live or work in this community.")},
    )


class MergeForm(forms.Form):
    into = forms.ChoiceField(label=_("Merge into"))
    reason = forms.CharField(
        label=_("Why merge them?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the record of who did what; the public sees that it was merged."),
    )

    def __init__(self, *args: Any, targets: list, **kwargs: Any) -> None:
        super().__init__(*args, prefix="merge", **kwargs)
        self.fields["into"].choices = [(p.reference, f"{p.reference} {p.title}") for p in targets]


class TableForm(forms.Form):
    reason = forms.CharField(
        label=_("Note (optional)"), max_length=300, required=False, widget=forms.TextInput()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="table", **kwargs)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="withdraw", **kwargs)
