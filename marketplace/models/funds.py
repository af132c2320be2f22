"""Funds, matching campaigns, and the money that leaves them.

A :class:`Fund` is money held for giving by an owner (the city, the charity federation, a
town, a company, a charity) over a region; its money is its ledger account's balance. A
:class:`Campaign` spends a fund by matching donors' pledges under rules kept as data
(ratio or tiers, caps, eligibility, a time window). A :class:`Match` reserves its amount
when the pledge is made and is confirmed with the payment, or released.

Money leaves a listing's escrow through a :class:`Disbursement` to a payee, and leaves a
fund directly through a :class:`FundGrant` (an express wish). Every one of these rows has
its ledger transaction, posted in the same database transaction.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.crypto import EncryptedTextField
from accounts.models import Organisation, Region


class FundOwner(models.TextChoices):
    CITY = "city", _("City special fund")
    CHARITY_FEDERATION = "charity_federation", _("Charity federation")
    TOWN = "town", _("Town")
    COMPANY = "company", _("Company")
    CHARITY = "charity", _("Charity")


class Fund(models.Model):
    """Money held for giving. Its balance is its ledger account's; its row lock guards it."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    owner = models.CharField(_("owner"), max_length=20, choices=FundOwner.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funds",
        help_text=_("For a company's, a charity's or the charity federation's fund."),
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="funds",
        help_text=_("Where the fund gives, and whose staff manage it."),
    )
    account = models.OneToOneField(
        "marketplace.Account",
        verbose_name=_("ledger account"),
        on_delete=models.PROTECT,
        related_name="fund",
    )
    counterpart_ratio = models.DecimalField(
        _("counterpart ratio"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "For a town's fund: what the town deposits per yuan the city allocates (1.00 or 0.50)."
        ),
    )
    description = models.TextField(_("description"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="fund_counterpart_ratio_range",
                condition=Q(counterpart_ratio__isnull=True)
                | (Q(counterpart_ratio__gt=0) & Q(counterpart_ratio__lte=5)),
            ),
            models.CheckConstraint(
                name="fund_organisation_owner",
                condition=Q(owner__in=["city", "town"]) | Q(organisation__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def balance(self) -> Decimal:
        return self.account.balance


class TopUpKind(models.TextChoices):
    APPROPRIATION = "appropriation", _("Appropriation")
    DONATION = "donation", _("Donation to the fund")
    COUNTERPART = "counterpart", _("Counterpart deposit")


class FundTopUp(models.Model):
    """Money put into a fund from outside, with the document that proves it."""

    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="top_ups"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=TopUpKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    reference = models.CharField(
        _("reference"),
        max_length=120,
        help_text=_("The appropriation document, bank transfer or receipt number."),
    )
    source = models.CharField(
        _("from"), max_length=120, blank=True, help_text=_("Who put the money in.")
    )
    received_on = models.DateField(_("received on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    transaction = models.OneToOneField(
        "marketplace.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="top_up",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("fund top-up")
        verbose_name_plural = _("fund top-ups")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(name="top_up_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(fields=["fund", "reference"], name="top_up_reference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} +{self.amount} ({self.reference})"


class FundAllocation(models.Model):
    """The city (or the federation) passes money from its fund to a town's.

    A town's fund with a counterpart ratio then owes a deposit of ratio × amount.
    """

    source = models.ForeignKey(
        Fund, verbose_name=_("from fund"), on_delete=models.PROTECT, related_name="allocations_out"
    )
    target = models.ForeignKey(
        Fund, verbose_name=_("to fund"), on_delete=models.PROTECT, related_name="allocations_in"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=120)
    allocated_on = models.DateField(_("allocated on"), default=timezone.localdate)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("allocated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    transaction = models.OneToOneField(
        "marketplace.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="allocation",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("fund allocation")
        verbose_name_plural = _("fund allocations")
        ordering = ["-allocated_on", "-pk"]
        constraints = [
            models.CheckConstraint(name="allocation_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="allocation_between_two_funds", condition=~Q(source=models.F("target"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} {self.amount}"


class FundGrant(models.Model):
    """Money paid straight out of a fund for something not offered to donors: an express
    wish paid by a town reviewer. The payee's bank account is private."""

    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="grants"
    )
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    region = models.ForeignKey(
        Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    payee_name = EncryptedTextField(_("payee"))
    payee_account = EncryptedTextField(_("payee's bank account"), blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=120)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    transaction = models.OneToOneField(
        "marketplace.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="grant",
    )
    created_at = models.DateTimeField(_("paid"), default=timezone.now)

    class Meta:
        verbose_name = _("express payment")
        verbose_name_plural = _("express payments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="grant_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["source_type", "source_id"], name="grant_one_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund} → {self.amount}"


# --- Matching ---------------------------------------------------------------------------


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Matching")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class DonorKind(models.TextChoices):
    PERSON = "person", _("People giving for themselves")
    COMPANY = "company", _("Companies")
    ORGANISATION = "organisation", _("Other organisations")


class Campaign(models.Model):
    """A matching campaign: its sponsor fund adds money to donors' pledges by these rules.

    ``tiers`` is the ratio as data: a list of ``{"up_to": yuan or null, "ratio": "0.50"}``
    over each donor's running total in the campaign, in order; ``[{"up_to": null,
    "ratio": "1.00"}]`` is 1:1, ``[{"up_to": "50", "ratio": "0.50"}]`` is "50% on the first
    ¥50 per donor". Caps left empty do not limit. ``matched`` is the confirmed total, kept
    under the campaign's row lock; it always equals the ledger (tested).
    """

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("web address"), max_length=60, unique=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    fund = models.ForeignKey(
        Fund, verbose_name=_("sponsor fund"), on_delete=models.PROTECT, related_name="campaigns"
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    tiers = models.JSONField(_("ratio tiers"), default=list)
    pool_cap = models.DecimalField(_("pool"), max_digits=12, decimal_places=2)
    per_pledge_cap = models.DecimalField(
        _("cap per pledge"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    per_donor_cap = models.DecimalField(
        _("cap per donor"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    per_donor_daily_cap = models.DecimalField(
        _("cap per donor per day"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    per_listing_cap = models.DecimalField(
        _("cap per listing"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    hour_rate = models.DecimalField(
        _("yuan per verified volunteer hour"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text=_("Only listings in this region are matched."),
    )
    categories = models.JSONField(_("categories"), default=list, blank=True)
    listing_kinds = models.JSONField(_("listing kinds"), default=list, blank=True)
    donor_kinds = models.JSONField(_("donor kinds"), default=list, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    matched = models.DecimalField(
        _("matched"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("matching campaign")
        verbose_name_plural = _("matching campaigns")
        ordering = ["-starts_at", "pk"]
        constraints = [
            models.CheckConstraint(name="campaign_pool_positive", condition=Q(pool_cap__gt=0)),
            models.CheckConstraint(
                name="campaign_never_past_pool",
                condition=Q(matched__gte=0) & Q(matched__lte=models.F("pool_cap")),
            ),
            models.CheckConstraint(
                name="campaign_window",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MatchStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    CONFIRMED = "confirmed", _("Confirmed")
    RELEASED = "released", _("Released")
    RETURNED = "returned", _("Returned to the fund")


class MatchQuerySet(models.QuerySet):
    def holding(self, now=None) -> "MatchQuerySet":
        """Matches that count against caps now: confirmed, or reserved and unexpired."""
        now = now or timezone.now()
        return self.filter(
            Q(status=MatchStatus.CONFIRMED) | Q(status=MatchStatus.RESERVED, expires_at__gt=now)
        )

    def reserving(self, now=None) -> "MatchQuerySet":
        return self.filter(status=MatchStatus.RESERVED, expires_at__gt=now or timezone.now())

    def total(self) -> Decimal:
        return self.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


class Match(models.Model):
    """What a campaign adds to one money pledge. Reserved with the pledge (same expiry),
    confirmed with its payment, released when the payment fails or lapses."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="matches"
    )
    pledge = models.ForeignKey(
        "marketplace.Pledge",
        verbose_name=_("pledge"),
        on_delete=models.PROTECT,
        related_name="matches",
    )
    line = models.ForeignKey(
        "marketplace.ListingLine",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        related_name="matches",
    )
    listing = models.ForeignKey(
        "marketplace.Listing",
        verbose_name=_("listing"),
        on_delete=models.PROTECT,
        related_name="matches",
    )
    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="matches",
    )
    pledged = models.DecimalField(_("pledged"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("match"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MatchStatus.choices,
        default=MatchStatus.RESERVED,
    )
    created_at = models.DateTimeField(_("reserved"), default=timezone.now)
    expires_at = models.DateTimeField(_("reserved until"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["campaign", "status", "expires_at"], name="match_pool_idx"),
            models.Index(fields=["campaign", "donor", "status"], name="match_donor_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="match_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(fields=["campaign", "pledge"], name="match_once_per_pledge"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} +{self.amount}"


# --- Money out of a listing ---------------------------------------------------------------


class PayeeKind(models.TextChoices):
    SUPPLIER = "supplier", _("Supplier")
    CONTRACTOR = "contractor", _("Contractor")
    RECIPIENT = "recipient", _("The recipient")


class DisbursementStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for approval")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Not approved")


class Disbursement(models.Model):
    """Money raised for a listing paid to whoever delivers it, approved by a fund manager.

    A supplier's or contractor's name is public on the ledger; the recipient's bank
    details are a private record, and the public ledger says only "paid to the recipient".
    Requested by one person, approved by another (never the same).
    """

    listing = models.ForeignKey(
        "marketplace.Listing",
        verbose_name=_("listing"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    payee_kind = models.CharField(_("paid to"), max_length=10, choices=PayeeKind.choices)
    payee_name = models.CharField(
        _("payee"),
        max_length=120,
        blank=True,
        help_text=_(
            "A supplier's or contractor's name (shown publicly). Leave empty for the recipient."
        ),
    )
    recipient_account = EncryptedTextField(_("recipient's bank account"), blank=True)
    stage = models.CharField(
        _("stage"), max_length=120, blank=True, help_text=_("For projects paid in stages.")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DisbursementStatus.choices,
        default=DisbursementStatus.REQUESTED,
        db_index=True,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    transaction = models.OneToOneField(
        "marketplace.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disbursement",
    )

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(name="disbursement_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="disbursement_paid_has_transaction",
                condition=~Q(status="paid")
                | (Q(transaction__isnull=False) & ~Q(payment_reference="")),
            ),
            models.CheckConstraint(
                name="disbursement_payee_named",
                condition=Q(payee_kind="recipient") | ~Q(payee_name=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} → {self.amount}"

    @property
    def public_payee(self) -> str:
        """What the public ledger shows: a business's name, never the recipient's."""
        if self.payee_kind == PayeeKind.RECIPIENT:
            return str(PayeeKind.RECIPIENT.label)
        return self.payee_name
