"""What recipients say after a delivery: one-time links, ratings, follow-up visits and cases.

A :class:`ConfirmationLink` asks one respondent about one listing. Its token is stored only
as a SHA-256 hash; the raw token exists only in the message that was sent. A link is
answered at most once (a conditional UPDATE marks it used, and a rating is UNIQUE per link),
either by the respondent or by station staff on a follow-up visit (回访). Several links,
and so several ratings, may exist for one listing (a project's beneficiaries).
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Region
from marketplace.models import Listing


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LinkChannel(models.TextChoices):
    SMS = "sms", _("Text message")
    EMAIL = "email", _("Email")
    # No phone or email on record: nothing is sent, a follow-up visit is opened at once.
    VISIT = "visit", _("No message: visit")


class LinkQuerySet(models.QuerySet):
    def open(self, now=None) -> "LinkQuerySet":
        """Links that can still be answered."""
        return self.filter(used_at__isnull=True, expires_at__gt=now or timezone.now())


class ConfirmationLink(models.Model):
    """A one-time link asking one respondent to confirm and rate one listing."""

    listing = models.ForeignKey(
        Listing,
        verbose_name=_("listing"),
        on_delete=models.PROTECT,
        related_name="confirmation_links",
    )
    # The private reference to the respondent; never shown publicly.
    household = models.ForeignKey(
        "wishes.Household",
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    channel = models.CharField(_("sent by"), max_length=8, choices=LinkChannel.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = LinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("confirmation link")
        verbose_name_plural = _("confirmation links")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["used_at", "created_at"], name="link_unanswered_idx")]
        constraints = [
            models.CheckConstraint(
                name="link_expires_after_created",
                condition=Q(expires_at__gt=models.F("created_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Confirmation link')} #{self.pk}"

    def is_open(self, now=None) -> bool:
        return self.used_at is None and self.expires_at > (now or timezone.now())


class RatingChannel(models.TextChoices):
    LINK = "link", _("One-time link")
    FOLLOW_UP_VISIT = "follow_up_visit", _("Follow-up visit")
    PHONE = "phone", _("Phone call")


class Rating(models.Model):
    """What a respondent said about a delivered listing: receipt, a score, a comment."""

    listing = models.ForeignKey(
        Listing, verbose_name=_("listing"), on_delete=models.PROTECT, related_name="ratings"
    )
    link = models.OneToOneField(
        ConfirmationLink,
        verbose_name=_("link"),
        on_delete=models.PROTECT,
        related_name="rating",
        null=True,
        blank=True,
    )
    score = models.PositiveSmallIntegerField(_("score"))
    received = models.BooleanField(_("received"))
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    complaint = models.TextField(_("complaint"), max_length=2000, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=RatingChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Staff who recorded it on the recipient's behalf."),
    )
    created_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="rating_score_1_to_5", condition=Q(score__gte=1, score__lte=5)
            ),
            models.CheckConstraint(
                name="rating_on_behalf_has_staff",
                condition=Q(channel="link") | Q(recorded_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Rating')} #{self.pk}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("follow-up", "Open")
    DONE = "done", _("Done")
    # The respondent answered the link after all: nothing left to visit for.
    ANSWERED = "answered", _("Answered by the recipient")


class FollowUp(models.Model):
    """A follow-up visit (回访) for station staff: the link went unanswered."""

    link = models.OneToOneField(
        ConfirmationLink,
        verbose_name=_("link"),
        on_delete=models.PROTECT,
        related_name="follow_up",
    )
    listing = models.ForeignKey(
        Listing, verbose_name=_("listing"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    due_on = models.DateField(_("due"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="follow_up_done_has_time",
                condition=Q(status="open") | Q(done_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Follow-up visit')} #{self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.status == FollowUpStatus.OPEN and self.due_on < timezone.localdate()


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")


class Case(models.Model):
    """A low rating or a complaint, for the town reviewer of the listing's town."""

    rating = models.OneToOneField(
        Rating, verbose_name=_("rating"), on_delete=models.PROTECT, related_name="case"
    )
    listing = models.ForeignKey(
        Listing, verbose_name=_("listing"), on_delete=models.PROTECT, related_name="cases"
    )
    town = models.ForeignKey(
        Region, verbose_name=_("town"), on_delete=models.PROTECT, related_name="feedback_cases"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CaseStatus.choices,
        default=CaseStatus.OPEN,
        db_index=True,
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    due_on = models.DateField(_("deadline"))
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="case_resolved_has_resolution",
                condition=~Q(status="resolved")
                | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('Case')} #{self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.status != CaseStatus.RESOLVED and self.due_on < timezone.localdate()
