from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """People, places and trust: users, organisations, regions, stations, roles, audit.

    Also home of the shared kernel every domain app uses (errors, transitions, money,
    working days), because it sits below all of them in the dependency order.
    """

    name = "accounts"
    verbose_name = _("People and places")
