"""Donor impact: who gave to a listing, and telling them once it is delivered and rated.

The people told are the listing's *donors* (a confirmed pledge on one of its lines) and its
*sponsors*: the admins of the organisation that owns a fund behind a campaign with a
confirmed match on the listing. A public fund (city, town, charity federation) has no
organisation: its managers are staff, not sponsors, and are not emailed.

The summary is anonymised: the listing's public title and reference, when it was delivered,
the score, and how many photos staff marked shareable. Never a comment, a complaint, the
recipient, an address or another donor's name. It goes out once per listing: the first
``feedback.impact_notified`` audit event, written under the listing's row lock, is the mark.
"""

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts import audit
from accounts.models import AuditEvent, User
from feedback.models import Rating
from feedback.selectors import listing_outcome
from marketplace.models import Listing, MatchStatus, PledgeStatus

logger = logging.getLogger(__name__)

NOTIFIED = "feedback.impact_notified"  # not listing.*: the public timeline shows those


def donors_of(listing: Listing):
    """Users with a confirmed pledge on the listing, each once."""
    return User.objects.filter(
        pledges__line__listing=listing, pledges__status=PledgeStatus.CONFIRMED
    ).distinct()


def sponsors_of(listing: Listing):
    """Admins of the organisations whose funds matched a confirmed gift to the listing."""
    return User.objects.filter(
        memberships__is_admin=True,
        memberships__organisation__funds__campaigns__matches__listing=listing,
        memberships__organisation__funds__campaigns__matches__status=MatchStatus.CONFIRMED,
    ).distinct()


def may_see_impact(user: User, listing: Listing) -> bool:
    """A donor or sponsor of the listing (as above). One or two queries."""
    if not user.is_authenticated:
        return False
    return (
        donors_of(listing).filter(pk=user.pk).exists()
        or sponsors_of(listing).filter(pk=user.pk).exists()
    )


def _already_notified(listing: Listing) -> bool:
    return AuditEvent.objects.filter(
        verb=NOTIFIED,
        target_type=ContentType.objects.get_for_model(Listing),
        target_id=str(listing.pk),
    ).exists()


def impact_url(listing: Listing, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("stations:impact", args=[listing.pk])


def listing_url(listing: Listing, language: str) -> str:
    with translation.override(language):
        return settings.SITE_URL + reverse("marketplace:detail", args=[listing.reference])


def impact_notify(listing_id: int) -> int:
    """Email the listing's donors and sponsors its outcome, once. Returns how many emails.

    Does nothing before the listing's first rating, or when it was done already.
    """
    from stations.models import DeliveryPhoto

    with transaction.atomic():
        listing = (
            Listing.objects.select_for_update(of=("self",))
            .select_related("community")
            .filter(pk=listing_id)
            .first()
        )
        if listing is None or not Rating.objects.filter(listing=listing).exists():
            return 0
        if _already_notified(listing):
            return 0
        donors = list(donors_of(listing).exclude(email="").order_by("pk"))
        donor_ids = {u.pk for u in donors}
        sponsors = [
            u
            for u in sponsors_of(listing).exclude(email="").order_by("pk")
            if u.pk not in donor_ids
        ]
        outcome = listing_outcome(listing)
        photos = DeliveryPhoto.objects.filter(delivery__listing=listing, shareable=True).count()
        audit.record(
            actor=None,
            verb=NOTIFIED,
            target=listing,
            region=listing.community,
            data={"donors": len(donors), "sponsors": len(sponsors), "photos": photos},
        )
    sent = 0
    for user, sponsor in [(u, False) for u in donors] + [(u, True) for u in sponsors]:
        language = user.preferred_language or settings.LANGUAGE_CODE
        with translation.override(language):
            context = {
                "listing": listing,
                "outcome": outcome,
                "photos": photos,
                "sponsor": sponsor,
                "listing_url": listing_url(listing, language),
                "impact_url": impact_url(listing, language),
            }
            subject = render_to_string("feedback/messages/impact_subject.txt", context).strip()
            body = render_to_string("feedback/messages/impact_email.txt", context)
        try:
            send_mail(subject, body, None, [user.email])
        except OSError:  # one bad address or a mail hiccup must not stop the others
            logger.warning("impact email for listing %s not sent to user %s", listing.pk, user.pk)
            continue
        sent += 1
    return sent
