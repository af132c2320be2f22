"""Forms of the staff's listing pages: filters, cancel, extend, offline payment confirmation.

Forms parse and check input only; the services guard permission and state again.
"""

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.models import ListingStatus

REASON_MAX = 2000


class HtmlDateInput(forms.DateInput):
    """A browser date picker; its value is ISO whatever the page's language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _reason_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please give a reason.")},
        help_text=_("Recorded in the audit trail."),
        **kwargs,
    )


class ListingFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any"))] + list(ListingStatus.choices),
    )
    q = forms.CharField(label=_("Reference or title"), required=False, max_length=80)

    def filter(self, listings: QuerySet) -> QuerySet:
        if not self.is_valid():
            return listings
        data = self.cleaned_data
        if data["status"]:
            listings = listings.filter(status=data["status"])
        if data["q"].strip():
            text = data["q"].strip()
            listings = listings.filter(Q(reference__iexact=text) | Q(title__contains=text))
        return listings


class _OwnIds(forms.Form):
    """Several action forms share one page: each gets its own element ids (names stay)."""

    id_prefix = "action"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class CancelForm(_OwnIds):
    id_prefix = "cancel"
    reason = _reason_field()


class ExtendForm(_OwnIds):
    id_prefix = "extend"
    deadline = forms.DateField(label=_("New deadline"), widget=HtmlDateInput)
    reason = _reason_field()

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise forms.ValidationError(_("The new deadline cannot be in the past."))
        return deadline


class OfflineConfirmForm(forms.Form):
    receipt_number = forms.CharField(
        label=_("Receipt number"),
        max_length=60,
        help_text=_("The bank's or the station's receipt number."),
    )

    def __init__(self, *args, payment_pk: int, **kwargs):
        kwargs.setdefault("auto_id", f"confirm-{payment_pk}_%s")
        super().__init__(*args, **kwargs)

    def clean_receipt_number(self) -> str:
        value = self.cleaned_data["receipt_number"].strip()
        if not value:
            raise forms.ValidationError(forms.Field.default_error_messages["required"])
        return value
