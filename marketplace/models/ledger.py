"""The double-entry ledger: where every yuan came from and where it went.

Money sits in accounts and moves between them in balanced transactions: each
:class:`LedgerTransaction` has lines whose signed amounts sum to zero (a line moving money
out of an account is negative, into one positive). An account's balance is the sum of its
lines. Accounts that stand for the world outside (donors' money arriving, public
appropriations, payouts, refunds) may run negative or grow without bound; accounts that
hold money for a purpose (a fund, a listing's escrow, a provider's clearing) never go below
zero: their cached ``balance`` is kept under the row lock that guards them and a database
constraint refuses a negative one.

Append-only: the ORM refuses to change or delete a transaction or a line, and on
PostgreSQL triggers refuse it too and check, when the database transaction commits, that
each ledger transaction balances. A mistake is corrected by a reversing transaction.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AppendOnlyError


class AccountKind(models.TextChoices):
    DONATIONS_IN = "donations_in", _("Donor payments (money in)")
    PUBLIC_IN = "public_in", _("Public appropriations (money in)")
    CLEARING = "clearing", _("Payment provider clearing")
    ESCROW = "escrow", _("Listing escrow")
    FUND = "fund", _("Fund")
    PAYOUTS = "payouts", _("Payouts")
    REFUNDS = "refunds", _("Refunds")
    FEES = "fees", _("Fees")


# Accounts that hold money for a purpose: their balance never goes below zero.
HOLDING_KINDS = frozenset({AccountKind.CLEARING, AccountKind.ESCROW, AccountKind.FUND})


class Account(models.Model):
    """One place money can be: a fund, a listing's escrow, a provider's clearing, the world.

    ``balance`` is a cached sum of the lines, kept for holding accounts only (the world
    accounts are hot and need no guard); it always equals the ledger sum (tested).
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=14, choices=AccountKind.choices)
    name = models.CharField(_("name"), max_length=160)
    listing = models.OneToOneField(
        "marketplace.Listing",
        verbose_name=_("listing"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escrow",
    )
    balance = models.DecimalField(
        _("balance"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="account_holding_never_negative",
                condition=~Q(kind__in=sorted(HOLDING_KINDS)) | Q(balance__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_holding(self) -> bool:
        return self.kind in HOLDING_KINDS

    def ledger_balance(self) -> Decimal:
        """The balance summed from the lines (one query)."""
        return self.lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


class TransactionKind(models.TextChoices):
    PAYMENT = "payment", _("Donor payment")
    MATCH = "match", _("Matching")
    MATCH_RETURN = "match_return", _("Matching returned to its fund")
    HOURS_MATCH = "hours_match", _("Matching for volunteer hours")
    TOP_UP = "top_up", _("Fund top-up")
    COUNTERPART = "counterpart", _("Counterpart deposit")
    ALLOCATION = "allocation", _("Allocation between funds")
    GRANT = "grant", _("Express payment from a fund")
    DISBURSEMENT = "disbursement", _("Disbursement")
    REFUND = "refund", _("Refund")
    FEE = "fee", _("Provider fee")
    REVERSAL = "reversal", _("Reversal")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The ledger is append-only.")

    def delete(self):
        raise AppendOnlyError("The ledger is append-only.")


class AppendOnly(models.Model):
    """Rows that are written once: saving an existing row or deleting one is refused."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The ledger is append-only.")


class LedgerTransaction(AppendOnly):
    """One balanced movement of money, posted in the database transaction of the change it
    records (a payment confirmed, a match, an allocation, a disbursement, a refund).

    The links (listing, pledge, campaign, fund) say what it belongs to, so the public
    ledger reads it without joining through the lines.
    """

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=14, choices=TransactionKind.choices)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    external_reference = models.CharField(
        _("external reference"),
        max_length=120,
        blank=True,
        help_text=_("The bank's, provider's or appropriation document's number."),
    )
    listing = models.ForeignKey(
        "marketplace.Listing",
        verbose_name=_("listing"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    pledge = models.ForeignKey(
        "marketplace.Pledge",
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    campaign = models.ForeignKey(
        "marketplace.Campaign",
        verbose_name=_("matching campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    fund = models.ForeignKey(
        "marketplace.Fund",
        verbose_name=_("fund"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField(_("posted"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("posted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()}"


class LedgerLine(AppendOnly):
    """One side of a transaction: a signed amount into (+) or out of (−) one account."""

    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("transaction"),
        on_delete=models.PROTECT,
        related_name="lines",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="lines"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(name="ledger_line_not_zero", condition=~Q(amount=0)),
        ]
        indexes = [models.Index(fields=["account", "transaction"], name="ledger_line_account_idx")]

    def __str__(self) -> str:
        return f"{self.account.code} {self.amount:+}"
