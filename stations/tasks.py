"""Background work of stations. Tasks take primary keys, load rows and are idempotent."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from stations.models import GoodsIntake


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5
)
def intake_notify_donor(intake_id: int) -> bool:
    """Tell the donor, in their language, that the station received their goods."""
    intake = (
        GoodsIntake.objects.select_related("pledge__donor", "pledge__line__listing", "station")
        .filter(pk=intake_id)
        .first()
    )
    if intake is None or not intake.pledge.donor.email:
        return False
    donor = intake.pledge.donor
    with translation.override(donor.preferred_language or settings.LANGUAGE_CODE):
        context = {
            "intake": intake,
            "listing": intake.pledge.line.listing,
            "station": intake.station.label,
            "url": settings.SITE_URL
            + reverse("marketplace:pledge_detail", args=[intake.pledge_id]),
        }
        subject = render_to_string("stations/email/intake_subject.txt", context).strip()
        body = render_to_string("stations/email/intake_message.txt", context)
    send_mail(subject, body, None, [donor.email])
    return True
