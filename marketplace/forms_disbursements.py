"""Forms of the payout pages: asking for a payout, confirming delivery, approving or
rejecting a payout, and the approval queue's filter.

Forms parse and check input only; the services in ``marketplace.funds`` and
``marketplace.staff_services`` guard permission and state again.
"""

import re
from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from marketplace.forms_staff import REASON_MAX
from marketplace.models import Disbursement, DisbursementStatus, PayeeKind

# A mainland bank account or card number: digits, typed with or without spaces or dashes.
ACCOUNT_PATTERN = re.compile(r"^[0-9][0-9 \-]{4,38}[0-9]$")
ACCOUNT_DIGITS = (8, 30)


def mask_account(value: str) -> str:
    """A bank account shown to staff: only its last four digits (``•••• 0123``)."""
    digits = re.sub(r"\D", "", value or "")
    return f"•••• {digits[-4:]}" if digits else ""


def clean_account(value: str) -> str:
    """The digits of a typed bank account, or a ValidationError."""
    value = (value or "").strip()
    digits = re.sub(r"[ \-]", "", value)
    low, high = ACCOUNT_DIGITS
    if not ACCOUNT_PATTERN.match(value) or not (low <= len(digits) <= high):
        raise forms.ValidationError(
            _("Enter the bank account number: %(low)s to %(high)s digits.")
            % {"low": low, "high": high}
        )
    return digits


def _amount_field(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("Enter an amount above zero.")},
    )


def _text_field(label, *, max_length: int = REASON_MAX, required_message=None, **kwargs):
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required_message or _("Please give a reason.")},
        **kwargs,
    )


class _OwnIds(forms.Form):
    """Several forms share one page: each gets its own element ids (names stay)."""

    id_prefix = "action"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class DisbursementRequestForm(_OwnIds):
    """Ask for money in a listing's escrow to be paid to whoever delivers it.

    A supplier or contractor is named (the name is public on the ledger); the recipient is
    paid to their bank account, which is private. The stage is asked for projects only.
    """

    id_prefix = "payout"

    amount = _amount_field(_("Amount (yuan)"))
    payee_kind = forms.ChoiceField(
        label=_("Paid to"), choices=PayeeKind.choices, widget=forms.RadioSelect
    )
    payee_name = forms.CharField(
        label=_("Supplier's or contractor's name"),
        max_length=120,
        required=False,
        help_text=_("Shown on the public ledger. Leave empty when paying the recipient."),
    )
    recipient_account = forms.CharField(
        label=_("Recipient's bank account"),
        max_length=40,
        required=False,
        help_text=_(
            "Only when paying the recipient. Kept private: staff see only its last four digits."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    stage = forms.CharField(
        label=_("Stage"),
        max_length=120,
        required=False,
        help_text=_("Which stage of the project this pays for."),
    )

    def __init__(self, *args, project: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not project:
            del self.fields["stage"]

    def clean(self):
        data = super().clean()
        kind = data.get("payee_kind")
        if kind == PayeeKind.RECIPIENT:
            account = data.get("recipient_account", "")
            if not account:
                if "recipient_account" not in self.errors:
                    self.add_error(
                        "recipient_account", _("Give the recipient's bank account to pay them.")
                    )
            else:
                try:
                    data["recipient_account"] = clean_account(account)
                except forms.ValidationError as error:
                    self.add_error("recipient_account", error)
            data["payee_name"] = ""
        elif kind:
            if not data.get("payee_name", "").strip() and "payee_name" not in self.errors:
                self.add_error("payee_name", _("Name the supplier or contractor to be paid."))
            data["recipient_account"] = ""
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "amount": data["amount"],
            "payee_kind": data["payee_kind"],
            "payee_name": data["payee_name"].strip(),
            "recipient_account": data["recipient_account"],
            "stage": data.get("stage", ""),
        }


class ApproveForm(forms.Form):
    payment_reference = forms.CharField(
        label=_("Payment reference"),
        max_length=120,
        help_text=_("The bank transfer's number, so the payout can be traced."),
        error_messages={"required": _("Give the payment reference of the transfer.")},
    )

    def __init__(self, *args, disbursement_pk: int, **kwargs):
        kwargs.setdefault("auto_id", f"approve-{disbursement_pk}_%s")
        super().__init__(*args, **kwargs)


class RejectForm(forms.Form):
    reason = _text_field(_("Reason"), help_text=_("The requester is told this reason."))

    def __init__(self, *args, disbursement_pk: int, **kwargs):
        kwargs.setdefault("auto_id", f"reject-{disbursement_pk}_%s")
        super().__init__(*args, **kwargs)


class DisbursementFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any"))] + list(DisbursementStatus.choices),
    )

    def filter(self, disbursements: QuerySet[Disbursement]) -> QuerySet[Disbursement]:
        if self.is_bound and self.is_valid() and self.cleaned_data["status"]:
            return disbursements.filter(status=self.cleaned_data["status"])
        return disbursements
