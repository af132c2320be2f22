"""Volunteers: who they are, the shifts stations offer, who signed up, and the hours verified.

A shift's ``taken`` counter is kept under the shift's row lock and backed by a CheckConstraint
(0 ≤ taken ≤ capacity): the database refuses an over-full shift even if a service forgot to
lock. It always equals the number of the shift's sign-ups that are not cancelled (tested).
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from accounts.models import Organisation, Region, Station


class Skill(models.TextChoices):
    ESCORT = "escort", _("Escort to hospital")
    VISIT = "visit", _("Home visit")
    TUTORING = "tutoring", _("Tutoring")
    REPAIR = "repair", _("Repair")
    CLEANING = "cleaning", _("Cleaning")
    COUNSELLING = "counselling", _("Counselling")
    OTHER = "other", _("Other help")


class VolunteerProfile(models.Model):
    """What a volunteer says about themselves. Saving one (``services.profile_save``) gives
    the user the volunteer role over the areas chosen."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="volunteer_profile",
    )
    display_name = models.CharField(_("name shown on certificates"), max_length=60)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    areas = models.ManyToManyField(
        Region, verbose_name=_("areas"), related_name="volunteer_profiles"
    )
    availability = models.CharField(_("availability"), max_length=200, blank=True)
    weekdays = models.BooleanField(_("available on weekdays"), default=False)
    weekends = models.BooleanField(_("available at weekends"), default=False)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("employer or organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer_profiles",
    )
    phone = PhoneNumberField(_("mobile phone (for reminders)"), blank=True, region="CN")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")
        ordering = ["display_name", "pk"]

    def __str__(self) -> str:
        return self.display_name

    def has_skill(self, skill: str) -> bool:
        return skill == Skill.OTHER or skill in self.skills

    def skill_labels(self) -> list[str]:
        return [str(Skill(s).label) for s in self.skills if s in Skill.values]


class ShiftStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("shift status", "Open")
    CANCELLED = "cancelled", _("Cancelled")
    DONE = "done", _("Done")


class ShiftQuerySet(models.QuerySet):
    def open(self) -> "ShiftQuerySet":
        return self.filter(status=ShiftStatus.OPEN)


class Shift(models.Model):
    """A stint of service a station needs: for a listing's service line, or its own need."""

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="shifts"
    )
    listing_line = models.ForeignKey(
        "marketplace.ListingLine",
        verbose_name=_("listing's service line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shifts",
    )
    title = models.CharField(_("what"), max_length=100)
    date = models.DateField(_("date"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200)
    skill = models.CharField(_("skill"), max_length=16, choices=Skill.choices)
    capacity = models.PositiveSmallIntegerField(_("places"))
    taken = models.PositiveSmallIntegerField(_("places taken"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ShiftStatus.choices, default=ShiftStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["date", "starts", "pk"]
        indexes = [models.Index(fields=["status", "date"], name="shift_status_date_idx")]
        constraints = [
            models.CheckConstraint(name="shift_capacity_positive", condition=Q(capacity__gt=0)),
            models.CheckConstraint(
                name="shift_taken_within_capacity",
                condition=Q(taken__gte=0) & Q(taken__lte=F("capacity")),
            ),
            models.CheckConstraint(
                name="shift_ends_after_start", condition=Q(ends__gt=F("starts"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.starts:%H:%M} {self.title}"

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.starts))

    @property
    def ends_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.date, self.ends))

    @property
    def places_left(self) -> int:
        return self.capacity - self.taken


class SignupStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    CANCELLED = "cancelled", _("Cancelled")
    CHECKED_IN = "checked_in", _("Checked in")
    CHECKED_OUT = "checked_out", _("Checked out")
    NO_SHOW = "no_show", _("Did not come")


# A sign-up in any of these holds a place on the shift.
HOLDING = (
    SignupStatus.SIGNED_UP,
    SignupStatus.CHECKED_IN,
    SignupStatus.CHECKED_OUT,
    SignupStatus.NO_SHOW,
)


class ShiftSignupQuerySet(models.QuerySet):
    def holding(self) -> "ShiftSignupQuerySet":
        return self.filter(status__in=HOLDING)

    def verified(self) -> "ShiftSignupQuerySet":
        return self.filter(verified_at__isnull=False)


class ShiftSignup(models.Model):
    """One volunteer on one shift. Hours verified by station staff are the volunteer's record."""

    shift = models.ForeignKey(
        Shift, verbose_name=_("shift"), on_delete=models.PROTECT, related_name="signups"
    )
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="shift_signups",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=SignupStatus.choices, default=SignupStatus.SIGNED_UP
    )
    created_at = models.DateTimeField(_("signed up"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked out by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, null=True, blank=True)
    hours_reason = models.CharField(
        _("reason for correcting the hours"), max_length=200, blank=True
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("hours verified"), null=True, blank=True)

    objects = ShiftSignupQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift sign-up")
        verbose_name_plural = _("shift sign-ups")
        ordering = ["shift", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"],
                condition=~Q(status="cancelled"),
                name="signup_one_active_per_volunteer",
            ),
            models.CheckConstraint(
                name="signup_hours_positive",
                condition=Q(hours__isnull=True) | Q(hours__gt=0),
            ),
            models.CheckConstraint(
                name="signup_verified_has_hours",
                condition=Q(verified_at__isnull=True) | Q(hours__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shift} · {self.volunteer_id}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


ZERO_HOURS = Decimal("0.00")
