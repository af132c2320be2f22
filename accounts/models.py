"""People, places and trust: the rows every domain app stands on."""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from accounts.roles import Role


class LabelledMixin:
    """``label``: the English name on English pages where one is given, else the Chinese."""

    name: str
    name_en: str

    @property
    def label(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name

    def __str__(self) -> str:
        return self.label


# --- Users ------------------------------------------------------------------------------


class LinliUserManager(UserManager):
    """Users sign in by email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. Roles are not on the user: see :class:`RoleAssignment`."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(
        _("display name"),
        max_length=60,
        blank=True,
        help_text=_("How you are shown to others. Leave empty to stay anonymous."),
    )
    phone = PhoneNumberField(_("mobile phone"), blank=True, region="CN")
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Used for pages after you sign in and for the messages we send you."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = LinliUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]


# --- Regions and stations ---------------------------------------------------------------


class RegionLevel(models.TextChoices):
    CITY = "city", _("City")
    TOWN = "town", pgettext_lazy("region level", "Town or street")
    COMMUNITY = "community", pgettext_lazy("region level", "Community or village")


PARENT_LEVEL = {
    RegionLevel.CITY: None,
    RegionLevel.TOWN: RegionLevel.CITY,
    RegionLevel.COMMUNITY: RegionLevel.TOWN,
}


class RegionQuerySet(models.QuerySet):
    def within(self, path: str) -> "RegionQuerySet":
        """The region with this path and every region below it."""
        return self.filter(path__startswith=path)

    def towns(self) -> "RegionQuerySet":
        return self.filter(level=RegionLevel.TOWN)

    def communities(self) -> "RegionQuerySet":
        return self.filter(level=RegionLevel.COMMUNITY)


class Region(LabelledMixin, models.Model):
    """City (市) → town or street (镇街) → community or village (村居).

    ``path`` is the chain of codes from the city down (``/dg/dg-nc/dg-nc-01/``), so "this
    region and everything below it" is one ``startswith`` and never a recursive query.
    Regions are not moved once created (a move would rewrite the paths below).
    """

    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    code = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("Short unique code, e.g. dg-nc-01.")
    )
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                name="region_only_city_is_root",
                condition=(
                    Q(level="city", parent__isnull=True)
                    | (~Q(level="city") & Q(parent__isnull=False))
                ),
            ),
            models.CheckConstraint(
                name="region_path_shape", condition=Q(path__startswith="/") & Q(path__endswith="/")
            ),
        ]

    @staticmethod
    def path_for(code: str, parent: "Region | None") -> str:
        return f"{parent.path if parent else '/'}{code}/"

    def contains(self, other: "Region") -> bool:
        """True if *other* is this region or lies below it."""
        return other.path.startswith(self.path)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class StationQuerySet(models.QuerySet):
    def active(self) -> "StationQuerySet":
        return self.filter(is_active=True)

    def within(self, path: str) -> "StationQuerySet":
        return self.filter(community__path__startswith=path)


class Station(LabelledMixin, models.Model):
    """A community station (驿站): takes in requests, verifies them, logs delivery."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    community = models.ForeignKey(
        Region,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="stations",
        limit_choices_to={"level": RegionLevel.COMMUNITY},
    )
    address = models.CharField(_("address"), max_length=200)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, region="CN")
    is_active = models.BooleanField(_("open"), default=True)

    objects = StationQuerySet.as_manager()

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["community__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="station_unique_name")
        ]


# --- Organisations ----------------------------------------------------------------------


class OrganisationKind(models.TextChoices):
    COMPANY = "company", _("Company")
    CHARITY = "charity", _("Charity")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    VILLAGE_COLLECTIVE = "village_collective", _("Village collective")


class Organisation(models.Model):
    """A company, charity, social organisation or village collective that gives."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=OrganisationKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("based in"), on_delete=models.PROTECT, related_name="organisations"
    )
    description = models.TextField(_("description"), blank=True)
    phone = PhoneNumberField(_("phone"), blank=True, region="CN")
    is_verified = models.BooleanField(
        _("verified"), default=False, help_text=_("Checked by city staff against its registration.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user acts for an organisation; an admin member may invite others."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    is_admin = models.BooleanField(_("administrator"), default=False)
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation", "joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class InvitationQuerySet(models.QuerySet):
    def open(self) -> "InvitationQuerySet":
        """Pending and not past their expiry: reads never wait for the expiry job."""
        return self.filter(status=InvitationStatus.PENDING, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An organisation admin invites someone by email to become a member."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    email = models.EmailField(_("email address"))
    as_admin = models.BooleanField(_("as administrator"), default=False)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(status="pending"),
                name="invitation_one_pending_per_email",
            ),
            models.CheckConstraint(
                name="invitation_accepted_has_who",
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at > timezone.now()


# --- Roles ------------------------------------------------------------------------------


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self) -> "RoleAssignmentQuerySet":
        return self.filter(revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A user holds a role over a region and everything below it.

    Revoking keeps the row (``revoked_at``), so who held which role when stays on record.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="role_assignments"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["region__path", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=Q(revoked_at__isnull=True),
                name="role_assignment_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"


# --- Audit ------------------------------------------------------------------------------


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only.")

    def within(self, path: str) -> "AuditEventQuerySet":
        return self.filter(region__path__startswith=path)

    def for_object(self, obj: models.Model) -> "AuditEventQuerySet":
        return self.filter(
            target_type=ContentType.objects.get_for_model(obj), target_id=str(obj.pk)
        )


class AuditEvent(models.Model):
    """Who did what to which object, where, when, from which address, and why.

    Append-only: the ORM refuses updates and deletes, and on PostgreSQL a trigger refuses
    them too (migration 0002). Written only through :func:`accounts.audit.record`.
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor (as recorded)"), max_length=254, blank=True)
    verb = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, null=True, blank=True
    )
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_label = models.CharField(_("object"), max_length=200, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.target_label}"
        )

    def save(self, *args, **kwargs):
        # Not domain logic: the append-only guard every write path must pass.
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")


# --- Calendar ---------------------------------------------------------------------------


class CalendarOverride(models.Model):
    """A day whose working status differs from what the ``holidays`` library knows.

    The State Council publishes each year's holidays and make-up working days late in the
    year before; until the library knows them, city staff enter them here.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: a working day (e.g. a make-up Saturday). Unticked: a day off."),
    )
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date:%Y-%m-%d} {kind}"
