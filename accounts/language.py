"""Sending a user on in the language they chose."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import translate_url


def in_language(response: HttpResponse, language: str) -> HttpResponse:
    """Point an on-site redirect at its *language* version and remember the choice.

    The cookie is the one Django's ``set_language`` view writes, with the same settings, so the
    next visit to ``/`` lands in the same language.
    """
    location = response.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/"):
        response["Location"] = translate_url(location, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
