from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    """What happens at a station after a need is met: goods received, deliveries logged with
    evidence, the recipient's confirmation and rating, follow-up visits and complaint cases."""

    name = "stations"
    verbose_name = _("Stations")
