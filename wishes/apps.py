from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WishesConfig(AppConfig):
    """Micro-wishes: intake, verification, need index, review, routing, public notice."""

    name = "wishes"
    verbose_name = _("Wishes")
