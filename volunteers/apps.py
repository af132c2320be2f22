from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    """Volunteers: profiles, service shifts, sign-up, check-in and verified hours."""

    name = "volunteers"
    verbose_name = _("Volunteers")
