from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    """Claimable items: listings, pledges, matching funds, ledger, payments, delivery."""

    name = "marketplace"
    verbose_name = _("Marketplace")

    def ready(self) -> None:
        # Providers register themselves on import; the worker needs the payment tasks.
        from marketplace.payments import offline, stripe, tasks  # noqa: F401
