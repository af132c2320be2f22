from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonorsConfig(AppConfig):
    """Donor and organisation profiles, the resource library, donor dashboards."""

    name = "donors"
    verbose_name = _("Donors")
