"""What happens at a station once a need is met: goods received, deliveries logged, evidence.

A :class:`Delivery` records what was handed over or done for one line of a listing; several
may add up to the line's target (partial deliveries), never more (the service checks that
under the line's row lock). The recipient's household is linked for staff only and is never
shown publicly. Photos are private evidence, re-encoded without metadata; staff may mark one
shareable for donors' impact reports once they have checked it shows no personal data.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Station
from marketplace.models import Listing, ListingLine, Pledge
from wishes.models import Household, private_storage


class Condition(models.TextChoices):
    NEW = "new", pgettext_lazy("goods condition", "New")
    GOOD = "good", pgettext_lazy("goods condition", "Good")
    USED = "used", pgettext_lazy("goods condition", "Used")
    DAMAGED = "damaged", pgettext_lazy("goods condition", "Damaged")


class GoodsIntake(models.Model):
    """Goods a donor dropped off at a station against their goods pledge."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), on_delete=models.PROTECT, related_name="intakes"
    )
    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="intakes"
    )
    item = models.CharField(_("item received"), max_length=200)
    quantity = models.DecimalField(_("quantity received"), max_digits=12, decimal_places=2)
    condition = models.CharField(_("condition"), max_length=8, choices=Condition.choices)
    discrepancy = models.CharField(
        _("discrepancies"),
        max_length=500,
        blank=True,
        help_text=_("What differs from the pledge: fewer items, another model, damage."),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("goods intake")
        verbose_name_plural = _("goods intakes")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="intake_quantity_positive", condition=Q(quantity__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


class Delivery(models.Model):
    """What was handed over or done for one line of a listing, when and by whom.

    ``note`` is public-safe (no names, addresses or other personal data); ``household`` is
    the private recipient record of a wish listing, for staff only. When the recipient
    cannot confirm, a staff member attests instead, with a reason.
    """

    listing = models.ForeignKey(
        Listing, verbose_name=_("listing"), on_delete=models.PROTECT, related_name="deliveries"
    )
    line = models.ForeignKey(
        ListingLine, verbose_name=_("line"), on_delete=models.PROTECT, related_name="deliveries"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    delivered_at = models.DateTimeField(_("delivered"), default=timezone.now)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delivered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="deliveries"
    )
    note = models.CharField(
        _("what was handed over or done"),
        max_length=300,
        help_text=_("Shown to donors: no names, addresses, phone numbers or other personal data."),
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("recipient household"),
        on_delete=models.PROTECT,
        related_name="deliveries",
        null=True,
        blank=True,
    )
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attested by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    attestation_reason = models.CharField(_("why staff attest"), max_length=500, blank=True)
    attested_at = models.DateTimeField(_("attested"), null=True, blank=True)
    created_at = models.DateTimeField(_("logged"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="delivery_quantity_positive", condition=Q(quantity__gt=0)),
            # An attestation always names who attested and why; no reason without an attester.
            models.CheckConstraint(
                name="delivery_attestation_complete",
                condition=(
                    Q(attested_by__isnull=True, attested_at__isnull=True, attestation_reason="")
                    | (
                        Q(attested_by__isnull=False, attested_at__isnull=False)
                        & ~Q(attestation_reason="")
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id}/{self.line_id} × {self.quantity}"

    @property
    def is_attested(self) -> bool:
        return self.attested_by_id is not None


def photo_path(instance: "DeliveryPhoto", filename: str) -> str:
    # Never the uploaded name: it may carry personal data.
    return f"stations/{instance.delivery_id}/{instance.token}.{instance.extension}"


class DeliveryPhoto(models.Model):
    """A private photo proving a delivery: re-encoded, without EXIF or GPS; staff only."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="photos"
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    extension = models.CharField(max_length=5, editable=False)
    file = models.FileField(
        _("file"), upload_to=photo_path, storage=private_storage, max_length=200
    )
    content_type = models.CharField(max_length=40, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    description = models.CharField(_("description"), max_length=120, blank=True)
    shareable = models.BooleanField(
        _("shareable"),
        default=False,
        help_text=_("May appear in donors' impact reports: only if it shows no personal data."),
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked shareable by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    shared_at = models.DateTimeField(_("marked shareable"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery photo")
        verbose_name_plural = _("delivery photos")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="photo_shared_by_someone",
                condition=Q(shareable=False) | Q(shared_by__isnull=False, shared_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}/{self.token}"
