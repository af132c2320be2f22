"""Background work of wishes. Tasks take primary keys and call services."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.sms import send_sms
from wishes import services
from wishes.models import Status, Wish
from wishes.tracking import tracking_url

# Events the requester is told about, with the status whose label names the step.
EVENTS = {
    "submitted": Status.SUBMITTED,
    "accepted": Status.ACCEPTED,
    "referred_to_station": Status.ACCEPTED,
    "verified": Status.VERIFIED,
    "notice": Status.NOTICE,
    "referred": Status.REFERRED,
    "station_service": Status.STATION_SERVICE,
    "published": Status.PUBLISHED,
    "resolved": Status.RESOLVED,
    "rejected": Status.REJECTED,
    "withdrawn": Status.WITHDRAWN,
}


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5
)
def requester_notify(wish_id: int, event: str) -> str:
    """Tell the requester about a step: by email if they raised the wish online, else by SMS
    to the household's phone. Returns how ("email", "sms" or "none")."""
    wish = Wish.objects.select_related("raised_by", "household").filter(pk=wish_id).first()
    if wish is None or event not in EVENTS:
        return "none"
    user = wish.raised_by
    language = user.preferred_language if user else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "wish": wish,
            "step": Status(EVENTS[event]).label,
            "event": event,
            "url": tracking_url(wish.reference),
        }
        body = render_to_string("wishes/messages/step.txt", context).strip()
        if user and user.email:
            subject = render_to_string("wishes/messages/step_subject.txt", context).strip()
            send_mail(subject, body, None, [user.email])
            return "email"
        if wish.household.phone:
            send_sms(
                str(wish.household.phone),
                render_to_string("wishes/messages/step_sms.txt", context).strip(),
            )
            return "sms"
    return "none"


@shared_task
def wishes_publish_due() -> int:
    """Periodic: publish wishes whose public notice ended without open objections."""
    return services.wishes_publish_due()


@shared_task
def wishes_rescore_open() -> int:
    """After a new formula: score every open wish with it."""
    formula = services.formula_current()
    count = 0
    for wish in Wish.objects.open().select_related("household").iterator(chunk_size=500):
        services.wish_score(wish, formula=formula)
        count += 1
    return count
