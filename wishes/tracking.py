"""Signed links that let a requester follow a wish without a password."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "linli.wishes.track"


def tracking_token(reference: str) -> str:
    return signing.dumps(reference, salt=SALT, compress=True)


def reference_from_token(token: str) -> str | None:
    """The wish reference in *token*, or None if it is forged or expired."""
    try:
        return signing.loads(token, salt=SALT, max_age=settings.WISH_TRACKING_LINK_DAYS * 24 * 3600)
    except signing.BadSignature:
        return None


def tracking_url(reference: str) -> str:
    return settings.SITE_URL + reverse("wishes:track", args=[tracking_token(reference)])
