"""Forms of the station pages. Services validate again; forms keep what was typed."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from marketplace.models import ListingLine, Pledge
from stations.models import Condition


class _LineChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: ListingLine) -> str:
        what = obj.get_kind_display()
        return f"{what} · {obj.description}" if obj.description else str(what)


class _PledgeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Pledge) -> str:
        return f"{obj.reference} · {obj.line.description} × {obj.quantity.normalize():f}"


class DeliveryForm(forms.Form):
    line = _LineChoice(label=_("Line"), queryset=ListingLine.objects.none(), empty_label=None)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Yuan for money, items for goods, hours for a service."),
    )
    note = forms.CharField(
        label=_("What was handed over or done"),
        max_length=300,
        help_text=_("Shown to donors: no names, addresses, phone numbers or other personal data."),
    )
    attestation_reason = forms.CharField(
        label=_("Staff attestation (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Only if the recipient cannot confirm themselves: say why (e.g. bedridden, cannot "
            "read, no phone)."
        ),
    )

    def __init__(self, *args: Any, lines: list[ListingLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["line"]
        field.queryset = ListingLine.objects.filter(pk__in=[line.pk for line in lines])
        # The choices come from the lines already read: no query to render them.
        field.choices = [(line.pk, field.label_from_instance(line)) for line in lines]


class IntakeForm(forms.Form):
    pledge = _PledgeChoice(label=_("Pledge"), queryset=Pledge.objects.none(), empty_label=None)
    item = forms.CharField(label=_("Item received"), max_length=200)
    quantity = forms.DecimalField(
        label=_("Quantity received"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices)
    discrepancy = forms.CharField(
        label=_("Discrepancies"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required if the quantity differs from the pledge or the goods are damaged."),
    )

    def __init__(self, *args: Any, pledges: list[Pledge], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["pledge"]
        field.queryset = Pledge.objects.filter(pk__in=[p.pk for p in pledges]).select_related(
            "line"
        )
        field.choices = [(p.pk, field.label_from_instance(p)) for p in pledges]


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif", "capture": "environment"}
        ),
    )
    description = forms.CharField(label=_("Description"), max_length=120, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photo"].help_text = _(
            "A photo (JPEG, PNG, WebP or GIF), at most %(megabytes)d MB. Its location and "
            "camera data are removed."
        ) % {"megabytes": settings.WISH_ATTACHMENT_MAX_BYTES // (1024 * 1024)}


class AttestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why staff attest instead of the recipient"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ShareForm(forms.Form):
    shareable = forms.BooleanField(label=_("Share with donors"), required=False)
    no_personal_data = forms.BooleanField(
        label=_(
            "I checked: the photo shows no faces, names, addresses, documents or anything "
            "else that identifies the recipient."
        ),
        required=False,
    )
