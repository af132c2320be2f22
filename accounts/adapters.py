"""allauth hooks: new users start with the page's language and no role."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.urls import translate_url
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        language = translation.get_language()
        if language in dict(settings.LANGUAGES):
            user.preferred_language = language
        # Sign-up never grants a privileged role: staff and superuser stay False.
        user.is_staff = False
        user.is_superuser = False
        if commit:
            user.save()
        return user

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        if response.status_code in (301, 302) and response.get("Location", "").startswith("/"):
            # Land on the page in the language the user chose, not the one they signed in on.
            response["Location"] = translate_url(response["Location"], user.preferred_language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.preferred_language,
            max_age=365 * 24 * 3600,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
        return response
