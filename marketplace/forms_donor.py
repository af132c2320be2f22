"""Forms of the donor's side: claim a listing whole, pledge part of a line, choose how to pay.

Forms parse and check input only; the services guard state, capacity and membership again.
"""

from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, User
from marketplace.models import LineKind, ListingLine

# No single pledge is larger than this (a typo guard; the line's target clips the rest).
MAX_PLEDGE = Decimal("10000000")


def _organisations(user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(memberships__user=user).order_by("name")


class _GiverFields(forms.Form):
    """Who gives: the donor alone or for one of their organisations; named or anonymous.

    The choices are loaded once (one query) and resolved without another.
    """

    organisation = forms.TypedChoiceField(label=_("On behalf of"), required=False)
    anonymous = forms.BooleanField(
        label=_("Give anonymously"),
        required=False,
        help_text=_("Public pages will say “anonymous donor” instead of your name."),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {org.pk: org for org in _organisations(user)}
        if self.organisations:
            self.fields["organisation"].choices = [("", _("Myself"))] + [
                (pk, org.name) for pk, org in self.organisations.items()
            ]
        else:  # nothing to choose: the donor gives as themself
            del self.fields["organisation"]

    def clean_organisation(self) -> Organisation | None:
        value = self.cleaned_data.get("organisation")
        return self.organisations[int(value)] if value else None


class ClaimForm(_GiverFields):
    pass


def line_label(line: ListingLine) -> str:
    kind = str(line.get_kind_display())
    return f"{kind} · {line.description}" if line.description else kind


class PledgeForm(_GiverFields):
    line = forms.ChoiceField(label=_("What you give"), widget=forms.RadioSelect)
    quantity = forms.DecimalField(
        label=_("How much"),
        help_text=_("Yuan for money, a number of items for goods, hours for a service."),
        min_value=Decimal("0.01"),
        max_value=MAX_PLEDGE,
        max_digits=12,
        decimal_places=2,
    )
    accept_clipped = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ["line", "quantity", "organisation", "anonymous"]

    def __init__(self, *args, lines: list[ListingLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = {line.pk: line for line in lines}
        self.fields["line"].choices = [(line.pk, line_label(line)) for line in lines]
        if len(lines) == 1:
            self.fields["line"].initial = lines[0].pk

    def clean_line(self) -> ListingLine:
        return self.lines[int(self.cleaned_data["line"])]

    def clean(self):
        cleaned = super().clean()
        line, quantity = cleaned.get("line"), cleaned.get("quantity")
        if (
            line is not None
            and quantity is not None
            and line.kind == LineKind.GOODS
            and quantity != quantity.to_integral_value()
        ):
            self.add_error("quantity", _("Goods are given in whole items."))
        return cleaned


class PaymentForm(forms.Form):
    provider = forms.ChoiceField(label=_("How you pay"), widget=forms.RadioSelect)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(p.identifier, p.verbose_name) for p in providers]
        if len(providers) == 1:
            self.fields["provider"].initial = providers[0].identifier
