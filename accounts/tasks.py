"""Background work of the accounts app. Tasks take primary keys and call services."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts import services
from accounts.models import Invitation, User


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5
)
def invitation_send(invitation_id: int) -> bool:
    """Email an invitation in the invitee's language (or the site's). Idempotent."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or not invitation.is_open:
        return False
    invitee = User.objects.filter(email__iexact=invitation.email).only("preferred_language").first()
    language = invitee.preferred_language if invitee else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "invitation": invitation,
            "url": settings.SITE_URL + reverse("accounts:invitation", args=[invitation.token]),
        }
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation_message.txt", context)
    send_mail(subject, body, None, [invitation.email])
    return True


@shared_task
def invitations_expire() -> int:
    """Periodic: mark invitations past their expiry (reads already ignore them)."""
    return services.invitations_expire()
