"""Background work of volunteering: reminders before a shift, and news of a cancelled one.

Tasks take primary keys, load rows and are idempotent: a reminder is claimed by setting
``reminded_at`` with a conditional update before it is sent, so two workers never both send.
"""

from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.sms import send_sms
from volunteers.models import ShiftSignup, ShiftStatus, SignupStatus

REMIND_BEFORE = timedelta(hours=24)


def _tell(signup: ShiftSignup, template: str) -> str:
    """Send *template* to the volunteer: SMS to the profile's phone if given, else email."""
    user = signup.volunteer
    profile = getattr(user, "volunteer_profile", None)
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        context = {"signup": signup, "shift": signup.shift, "station": signup.shift.station}
        body = render_to_string(f"volunteers/messages/{template}.txt", context).strip()
        if profile is not None and profile.phone:
            send_sms(str(profile.phone), body)
            return "sms"
        if user.email:
            subject = render_to_string(
                f"volunteers/messages/{template}_subject.txt", context
            ).strip()
            send_mail(subject, body, None, [user.email])
            return "email"
    return "none"


def _signups(ids):
    return ShiftSignup.objects.select_related(
        "shift__station", "volunteer__volunteer_profile"
    ).filter(pk__in=ids)


@shared_task
def shift_reminders_send(now: datetime | None = None) -> int:
    """Hourly: remind each signed-up volunteer once, within 24 hours before their shift."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = [
        s.pk
        for s in ShiftSignup.objects.select_related("shift").filter(
            status=SignupStatus.SIGNED_UP,
            reminded_at__isnull=True,
            shift__status=ShiftStatus.OPEN,
            shift__date__gte=today,
            shift__date__lte=today + timedelta(days=1),
        )
        if now < s.shift.starts_at <= now + REMIND_BEFORE
    ]
    sent = 0
    for signup in _signups(due):
        claimed = ShiftSignup.objects.filter(
            pk=signup.pk, reminded_at__isnull=True, status=SignupStatus.SIGNED_UP
        ).update(reminded_at=now)
        if claimed:
            _tell(signup, "reminder")
            sent += 1
    return sent


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5
)
def shift_cancelled_notify(shift_id: int, signup_ids: list[int]) -> int:
    """Tell the volunteers whose places a cancelled shift freed."""
    count = 0
    for signup in _signups(signup_ids).filter(shift_id=shift_id):
        _tell(signup, "cancelled")
        count += 1
    return count
