"""Micro-wishes (微心愿) up to publication, and the private records behind them.

What may be shown publicly lives on :class:`Wish` and :class:`WishNeed` (anonymised by the
staff who write them). Who the person is and why they are in hardship lives on
:class:`Household`, :class:`Verification` and :class:`Attachment`, which are never rendered on
public pages or in public responses, and are read by staff only through audited selectors.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from accounts.crypto import EncryptedTextField, blind_index, normalise_id_number
from accounts.models import Region, Station
from accounts.money import MoneyField

MAX_MONEY_NEED = Decimal("200000.00")  # a wish is small help; bigger needs are projects or policy


# --- Choices ----------------------------------------------------------------------------


class Category(models.TextChoices):
    DAILY_LIVING = "daily_living", _("Daily living")
    MEDICAL = "medical", _("Medical")
    EDUCATION = "education", _("Education")
    ELDER_CARE = "elder_care", _("Elder care")
    EMPLOYMENT = "employment", _("Employment")
    HOUSING = "housing", _("Housing")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    RIGHTS = "rights", _("Rights protection")
    HOSPICE = "hospice", _("Hospice care")
    OTHER = "other", pgettext_lazy("category", "Other")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("12345 hotline")
    WECHAT = "wechat", _("WeChat")
    WEB = "web", _("Web site")
    HOME_VISIT = "home_visit", _("Home visit")
    GRID_WORKER = "grid_worker", _("Grid worker")
    WALK_IN = "walk_in", _("Walk-in at a station")
    CONSULTATION = "consultation", _("Consultation meeting")
    OTHER = "other", pgettext_lazy("channel", "Other")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")  # raised online, waiting for a station to accept
    ACCEPTED = "accepted", _("Accepted")  # a station took it on; the deadline runs
    VERIFIED = "verified", _("Verified")  # checked on a home visit
    REFERRED = "referred", _("Referred to policy")  # a department's scheme covers it
    NOTICE = "notice", _("On public notice")  # approved, objection period running
    PUBLISHED = "published", _("Published")  # open to donors (direct) or to be paid (express)
    STATION_SERVICE = "station_service", _("Served by the station")
    RESOLVED = "resolved", _("Resolved")  # a referral answered, or help given
    REJECTED = "rejected", _("Not approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = frozenset(
    {
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.VERIFIED,
        Status.REFERRED,
        Status.NOTICE,
        Status.PUBLISHED,
        Status.STATION_SERVICE,
    }
)
PUBLIC_STATUSES = frozenset({Status.NOTICE, Status.PUBLISHED})


class Route(models.TextChoices):
    POLICY = "policy", _("Existing policy (referral)")
    EXPRESS = "express", _("Express (public special fund)")
    DIRECT = "direct", _("Direct (published for donors)")
    STATION = "station", _("Station service")


class DisabilityGrade(models.IntegerChoices):
    NONE = 0, _("None")
    GRADE_1 = 1, _("Grade 1 (most severe)")
    GRADE_2 = 2, _("Grade 2")
    GRADE_3 = 3, _("Grade 3")
    GRADE_4 = 4, _("Grade 4")


class Housing(models.TextChoices):
    ADEQUATE = "adequate", _("Adequate")
    POOR = "poor", _("Poor")
    DANGEROUS = "dangerous", _("Dangerous (unsafe building)")
    NONE = "none", _("No stable housing")


# --- Private records --------------------------------------------------------------------


class HouseholdQuerySet(models.QuerySet):
    def with_id_number(self, id_number: str) -> "HouseholdQuerySet":
        return self.filter(id_hash=Household.hash_id_number(id_number))


class Household(models.Model):
    """A household in hardship and the person who heads it. Private: never shown publicly.

    The national ID number is stored encrypted; ``id_hash`` (a keyed hash) finds the same
    person again without decrypting anything.
    """

    head_name = models.CharField(_("name of the person"), max_length=60)
    id_number = EncryptedTextField(_("national ID number"), blank=True)
    id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = PhoneNumberField(_("phone"), blank=True, region="CN")
    address = models.CharField(_("address"), max_length=200)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": "community"},
    )
    member_count = models.PositiveSmallIntegerField(
        _("people in the household"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    monthly_income_per_person = MoneyField(
        _("monthly income per person (yuan)"), default=Decimal("0.00")
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("disability"), choices=DisabilityGrade.choices, default=DisabilityGrade.NONE
    )
    serious_illness = models.BooleanField(_("serious illness in the household"), default=False)
    housing = models.CharField(
        _("housing condition"), max_length=10, choices=Housing.choices, default=Housing.ADEQUATE
    )
    elderly_dependants = models.PositiveSmallIntegerField(_("elderly dependants"), default=0)
    child_dependants = models.PositiveSmallIntegerField(_("child dependants"), default=0)
    disabled_dependants = models.PositiveSmallIntegerField(_("disabled dependants"), default=0)
    disaster_loss = MoneyField(_("loss from disaster or accident (yuan)"), default=Decimal("0.00"))
    consent_at = models.DateTimeField(
        _("consent to data processing recorded"), null=True, blank=True
    )
    consent_note = models.CharField(
        _("how consent was given"),
        max_length=120,
        blank=True,
        help_text=_("e.g. signed form, online, by phone"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.CheckConstraint(
                name="household_consent_recorded", condition=Q(consent_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        # Deliberately not the name: string forms end up in logs, audit labels and errors.
        return f"{_('Household')} #{self.pk}"

    @staticmethod
    def hash_id_number(id_number: str) -> str:
        return blind_index(normalise_id_number(id_number), purpose="person-id") if id_number else ""

    @property
    def masked_id_number(self) -> str:
        """``4419**********123X``: enough to tell people apart on a staff screen."""
        value = self.id_number or ""
        return (
            value[:4] + "*" * max(len(value) - 8, 0) + value[-4:]
            if len(value) > 8
            else "*" * len(value)
        )


class AidSource(models.TextChoices):
    LINLI = "linli", _("Through Linli")
    GOVERNMENT = "government", _("Government scheme")
    CHARITY = "charity", _("Other charity")
    OTHER = "other", pgettext_lazy("aid source", "Other")


class AidRecord(models.Model):
    """Aid a household received (here or elsewhere); recent aid lowers its need index."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="aid"
    )
    received_on = models.DateField(_("received on"))
    value = MoneyField(_("value (yuan)"))
    source = models.CharField(_("source"), max_length=12, choices=AidSource.choices)
    description = models.CharField(_("what was received"), max_length=200)
    wish = models.ForeignKey(
        "Wish",
        verbose_name=_("wish"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="aid_records",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("aid record")
        verbose_name_plural = _("aid records")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.received_on:%Y-%m-%d} ¥{self.value}"


# --- The need index formula -------------------------------------------------------------


class NeedIndexFormulaQuerySet(models.QuerySet):
    def current(self) -> "NeedIndexFormula":
        """The formula in force: the newest published version."""
        return self.order_by("-version").first()


class NeedIndexFormula(models.Model):
    """Published, versioned weights of the need index (see docs/need-index.md).

    Versions are never edited: a change publishes a new version, and each wish keeps the
    version it was scored with until it is scored again.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    weights = models.JSONField(_("weights"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = NeedIndexFormulaQuerySet.as_manager()

    class Meta:
        verbose_name = _("need index formula")
        verbose_name_plural = _("need index formulas")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"


# --- The wish ---------------------------------------------------------------------------


class WishQuerySet(models.QuerySet):
    def open(self) -> "WishQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def public(self) -> "WishQuerySet":
        """Wishes anyone may see: on notice or published."""
        return self.filter(status__in=PUBLIC_STATUSES)

    def within(self, path: str) -> "WishQuerySet":
        return self.filter(community__path__startswith=path)

    def overdue(self, today: date | None = None) -> "WishQuerySet":
        return self.filter(
            due_on__lt=today or timezone.localdate(),
            status__in=[Status.SUBMITTED, Status.ACCEPTED, Status.VERIFIED],
        )


class Wish(models.Model):
    """One person's or household's need, as it may be shown once anonymised."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(
        _("title"),
        max_length=80,
        help_text=_("Short and without names, e.g. 'A wheelchair for an elderly resident'."),
    )
    story = models.TextField(
        _("story"),
        max_length=2000,
        help_text=_(
            "What is needed and why, without names, ID numbers, phone numbers or addresses."
        ),
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    channel = models.CharField(_("received through"), max_length=14, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, db_index=True)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="wishes",
        limit_choices_to={"level": "community"},
    )
    station = models.ForeignKey(
        Station,
        verbose_name=_("responsible station"),
        on_delete=models.PROTECT,
        related_name="wishes",
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="wishes"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="raised_wishes",
        help_text=_("The person (or relative) who raised it online; empty when staff took it in."),
        null=True,
        blank=True,
    )
    first_responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first-responsible officer"),
        on_delete=models.PROTECT,
        related_name="responsible_wishes",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True, db_index=True)
    # Need index: the score, the formula version it was computed with, and why.
    need_index = models.DecimalField(
        _("need index"), max_digits=6, decimal_places=2, default=Decimal("0.00")
    )
    need_index_version = models.PositiveIntegerField(_("formula version"), null=True, blank=True)
    need_index_explanation = models.JSONField(_("why this score"), default=list, blank=True)
    # Review and routing.
    route = models.CharField(_("route"), max_length=8, choices=Route.choices, blank=True)
    express_amount = MoneyField(_("express amount (yuan)"), null=True, blank=True)
    policy_department = models.CharField(_("department"), max_length=100, blank=True)
    policy_due_on = models.DateField(_("department to answer by"), null=True, blank=True)
    policy_answer = models.TextField(_("department's answer"), blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    duplicate_reason = models.TextField(
        _("why go ahead despite other aid"),
        blank=True,
        help_text=_("Required when the duplicate check warns."),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    notice_ends_at = models.DateTimeField(_("public notice ends"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = WishQuerySet.as_manager()

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "need_index"], name="wish_status_need_idx")]
        constraints = [
            models.CheckConstraint(
                name="wish_need_index_range", condition=Q(need_index__gte=0, need_index__lte=100)
            ),
            models.CheckConstraint(
                name="wish_express_has_amount",
                condition=~Q(route="express") | Q(express_amount__gt=0),
            ),
            models.CheckConstraint(
                name="wish_policy_has_department",
                condition=~Q(route="policy") | ~Q(policy_department=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_on is not None
            and self.status in (Status.SUBMITTED, Status.ACCEPTED, Status.VERIFIED)
            and self.due_on < timezone.localdate()
        )


class NeedKind(models.TextChoices):
    MONEY = "money", _("Money")
    GOODS = "goods", _("Goods")
    SERVICE = "service", _("Service")


class WishNeed(models.Model):
    """One line of what a wish needs: an amount of money, goods, or hours of service."""

    wish = models.ForeignKey(
        Wish, verbose_name=_("wish"), on_delete=models.CASCADE, related_name="needs"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=NeedKind.choices)
    amount = MoneyField(_("amount (yuan)"), null=True, blank=True)
    item = models.CharField(_("item"), max_length=80, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True)
    specification = models.CharField(_("specification"), max_length=200, blank=True)
    skill = models.CharField(_("skill"), max_length=80, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                name="wishneed_money_line",
                condition=~Q(kind="money") | Q(amount__gt=0, amount__lte=MAX_MONEY_NEED),
            ),
            models.CheckConstraint(
                name="wishneed_goods_line",
                condition=~Q(kind="goods") | (Q(quantity__gt=0, quantity__lte=10000) & ~Q(item="")),
            ),
            models.CheckConstraint(
                name="wishneed_service_line",
                condition=~Q(kind="service") | (Q(hours__gt=0, hours__lte=1000) & ~Q(skill="")),
            ),
        ]

    def __str__(self) -> str:
        if self.kind == NeedKind.MONEY:
            return f"¥{self.amount}"
        if self.kind == NeedKind.GOODS:
            return f"{self.item} × {self.quantity}"
        return f"{self.skill} · {self.hours} h"


class Verification(models.Model):
    """What station staff found on the home visit. Private."""

    wish = models.OneToOneField(
        Wish, verbose_name=_("wish"), on_delete=models.CASCADE, related_name="verification"
    )
    visited_on = models.DateField(_("visited on"))
    notes = models.TextField(_("home-visit notes"), max_length=4000)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified"), default=timezone.now)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self) -> str:
        return f"{self.wish.reference} {self.visited_on:%Y-%m-%d}"


class Referral(models.Model):
    """The wish moved to another station or town; the first-responsible officer stays."""

    wish = models.ForeignKey(
        Wish, verbose_name=_("wish"), on_delete=models.CASCADE, related_name="referrals"
    )
    from_station = models.ForeignKey(
        Station, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_station = models.ForeignKey(
        Station, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    referred_at = models.DateTimeField(_("referred"), default=timezone.now)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["referred_at"]
        constraints = [
            models.CheckConstraint(
                name="referral_moves", condition=~Q(from_station=models.F("to_station"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.wish.reference}: {self.from_station} → {self.to_station}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("objection", "Open")
    UPHELD = "upheld", _("Upheld (wish withdrawn)")
    DISMISSED = "dismissed", _("Dismissed")


class Objection(models.Model):
    """An objection filed during the public notice; a reviewer must answer it."""

    wish = models.ForeignKey(
        Wish, verbose_name=_("wish"), on_delete=models.CASCADE, related_name="objections"
    )
    text = models.TextField(_("objection"), max_length=2000)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["filed_at"]
        constraints = [
            models.CheckConstraint(
                name="objection_decided_has_reason",
                condition=Q(status="open") | (Q(decided_at__isnull=False) & ~Q(decision_reason="")),
            ),
            models.UniqueConstraint(
                fields=["wish", "filed_by"],
                condition=Q(status="open"),
                name="objection_one_open_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wish.reference} #{self.pk}"


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document (PDF)")


def private_storage():
    """Files that must never be served by the web server directly (see STORAGES["private"])."""
    from django.core.files.storage import storages

    return storages["private"]


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name never carries the uploaded name (which may hold personal data).
    return f"wishes/{instance.wish_id}/{instance.token}.{instance.extension}"


class Attachment(models.Model):
    """A private file: a photo (re-encoded, metadata stripped) or a PDF. Staff only."""

    wish = models.ForeignKey(
        Wish, verbose_name=_("wish"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    token = models.CharField(max_length=32, unique=True, editable=False)
    extension = models.CharField(max_length=5, editable=False)
    file = models.FileField(
        _("file"), upload_to=attachment_path, storage=private_storage, max_length=200
    )
    content_type = models.CharField(max_length=40, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    description = models.CharField(_("description"), max_length=120, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.wish_id}/{self.token}"
