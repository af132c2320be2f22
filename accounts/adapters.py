"""allauth hooks: new users start with the page's language and no role."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation

from accounts.language import in_language


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
        # Land on the page in the language the user chose, not the one they signed in on.
        return in_language(super().post_login(request, user, **kwargs), user.preferred_language)
