"""Claimable items: listings, their needs lines, claims and pledges.

A :class:`Listing` is one published need, whatever its source (a wish now, a community
project later): the marketplace never asks which. Capacity lives on :class:`ListingLine`;
pledges reserve it until they expire, and claims hold a whole listing for one donor until
theirs does. Reads ignore what has expired, so correctness never waits for a tidy-up job.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organisation, Region, Station


class ListingKind(models.TextChoices):
    WISH = "wish", _("Wish")
    PROJECT = "project", _("Community project")


class ListingStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("listing", "Open")
    FULLY_PLEDGED = "fully_pledged", _("Fully pledged")
    IN_DELIVERY = "in_delivery", _("In delivery")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class LineKind(models.TextChoices):
    MONEY = "money", _("Money")
    GOODS = "goods", _("Goods")
    SERVICE = "service", _("Service")


class ListingQuerySet(models.QuerySet):
    def visible(self) -> "ListingQuerySet":
        """What the public sees: listings offered to donors, but not cancelled ones."""
        return self.filter(offered=True).exclude(status=ListingStatus.CANCELLED)

    def open(self) -> "ListingQuerySet":
        return self.filter(status=ListingStatus.OPEN)

    def of(self, source: models.Model) -> "ListingQuerySet":
        """The listing published for *source* (a wish, a project): at most one."""
        return self.filter(
            source_type=ContentType.objects.get_for_model(source), source_id=source.pk
        )


class Listing(models.Model):
    """One published need: open to donors, or (not *offered*) served by a station's own
    team. Holds only what may be shown publicly."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=ListingKind.choices)
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    title = models.CharField(_("title"), max_length=80)
    story = models.TextField(_("story"), max_length=4000)
    category = models.CharField(_("category"), max_length=20)
    urgency = models.CharField(_("urgency"), max_length=10, blank=True)
    community = models.ForeignKey(
        Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="listings"
    )
    station = models.ForeignKey(
        Station,
        verbose_name=_("station"),
        on_delete=models.PROTECT,
        related_name="listings",
        null=True,
        blank=True,
    )
    need_index = models.DecimalField(
        _("need index"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=14,
        choices=ListingStatus.choices,
        default=ListingStatus.OPEN,
        db_index=True,
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # A wish routed to the station's own team is served, evidenced, confirmed and rated
    # through a listing like any other, but never offered to donors or shown publicly.
    offered = models.BooleanField(
        _("offered to donors"),
        default=True,
        help_text=_("Off for needs the station's own team serves: never shown publicly."),
    )

    objects = ListingQuerySet.as_manager()

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id"], name="listing_one_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class ListingLine(models.Model):
    """One thing a listing needs, with how much of it is confirmed.

    ``target`` is yuan for money, a count for goods, hours for service. ``confirmed`` is a
    counter kept under the line's row lock; it always equals the sum of confirmed pledges
    (tested). Reservations are not counted here: they are summed from unexpired pledges, so
    an expired one frees capacity the moment it expires.
    """

    listing = models.ForeignKey(
        Listing, verbose_name=_("listing"), on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=LineKind.choices)
    description = models.CharField(_("what"), max_length=200, blank=True)
    target = models.DecimalField(_("needed"), max_digits=12, decimal_places=2)
    confirmed = models.DecimalField(
        _("confirmed"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("needs line")
        verbose_name_plural = _("needs lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(name="line_target_positive", condition=Q(target__gt=0)),
            models.CheckConstraint(
                name="line_never_overconfirmed",
                condition=Q(confirmed__gte=0) & Q(confirmed__lte=models.F("target")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description} {self.target}"


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FULFILLED = "fulfilled", _("Fulfilled")
    RELEASED = "released", _("Released")
    EXPIRED = "expired", _("Expired")


class ClaimQuerySet(models.QuerySet):
    def holding(self, now=None) -> "ClaimQuerySet":
        """Claims that hold their listing now: active and not past their expiry."""
        return self.filter(status=ClaimStatus.ACTIVE, expires_at__gt=now or timezone.now())


class Claim(models.Model):
    """A donor holds a whole listing (认领) until they make their commitments or it expires."""

    listing = models.ForeignKey(
        Listing, verbose_name=_("listing"), on_delete=models.PROTECT, related_name="claims"
    )
    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="claims",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("on behalf of"),
        on_delete=models.PROTECT,
        related_name="claims",
        null=True,
        blank=True,
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("claimed"), default=timezone.now)
    expires_at = models.DateTimeField(_("commitments due"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-created_at"]
        constraints = [
            # The last line of defence: never two active claims on one listing.
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(status="active"),
                name="claim_one_active_per_listing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing.reference} · {self.get_status_display()}"


class PledgeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")


class PledgeQuerySet(models.QuerySet):
    def reserving(self, now=None) -> "PledgeQuerySet":
        """Pending pledges that still hold capacity."""
        return self.filter(status=PledgeStatus.PENDING, expires_at__gt=now or timezone.now())

    def confirmed(self) -> "PledgeQuerySet":
        return self.filter(status=PledgeStatus.CONFIRMED)

    def total(self) -> Decimal:
        """The sum of the pledged quantities (yuan, items or hours)."""
        return self.aggregate(total=Sum("quantity"))["total"] or Decimal("0.00")


class Pledge(models.Model):
    """A donor's commitment to part (or all) of one line: yuan, items or hours.

    Pending pledges reserve capacity until ``expires_at``; confirming one moves it into the
    line's ``confirmed`` counter.
    """

    line = models.ForeignKey(
        ListingLine, verbose_name=_("line"), on_delete=models.PROTECT, related_name="pledges"
    )
    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="pledges",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("on behalf of"),
        on_delete=models.PROTECT,
        related_name="pledges",
        null=True,
        blank=True,
    )
    claim = models.ForeignKey(
        Claim,
        verbose_name=_("claim"),
        on_delete=models.PROTECT,
        related_name="pledges",
        null=True,
        blank=True,
    )
    quantity = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PledgeStatus.choices,
        default=PledgeStatus.PENDING,
        db_index=True,
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    created_at = models.DateTimeField(_("pledged"), default=timezone.now)
    expires_at = models.DateTimeField(_("reserved until"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["line", "status", "expires_at"], name="pledge_capacity_idx")
        ]
        constraints = [
            models.CheckConstraint(name="pledge_positive", condition=Q(quantity__gt=0)),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def amount(self) -> Decimal:
        """Yuan, for a money line (the same figure as ``quantity``)."""
        return self.quantity


# --- Payments ---------------------------------------------------------------------------


class PaymentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Waiting for payment")
    SUCCEEDED = "succeeded", _("Received")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")


class Payment(models.Model):
    """One attempt to pay a money pledge, through one provider.

    ``external_id`` is the provider's id (a Stripe Checkout Session, or the reference code
    a donor writes on a bank transfer). State moves forward only (created → pending →
    succeeded/failed/expired → refunded); a late or repeated notice never moves it back.
    """

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(_("provider"), max_length=20)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.CREATED,
        db_index=True,
    )
    external_id = models.CharField(_("provider reference"), max_length=120, blank=True)
    receipt_number = models.CharField(
        _("receipt number"),
        max_length=60,
        blank=True,
        help_text=_("For offline payments: the bank's or the station's receipt number."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    refunded_amount = models.DecimalField(
        _("refunded (yuan)"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    refund_id = models.CharField(_("refund reference"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0)),
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="payment_unique_external_id",
            ),
            models.CheckConstraint(
                name="payment_refund_within_amount",
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.external_id or self.pk} ¥{self.amount}"


class Receipt(models.Model):
    """The numbered receipt a donor gets when their money is received (one per payment)."""

    number = models.CharField(_("receipt number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="receipt"
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="receipt_number_sequence"),
        ]

    def __str__(self) -> str:
        return self.number


class ReceiptCounter(models.Model):
    """The last receipt number of a year. Its row lock hands out numbers one at a time,
    without gaps: a rolled-back payment gives its number back."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("receipt counter")
        verbose_name_plural = _("receipt counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class WebhookEvent(models.Model):
    """A provider's notification, stored under its unique id in the same transaction as its
    effect: a repeated delivery finds it and does nothing."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=80)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"
