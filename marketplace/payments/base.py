"""The provider interface and registry (after pretix's ``BasePaymentProvider``)."""

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest

from marketplace.models import Payment


@dataclass(frozen=True)
class StartResult:
    """What the donor sees after choosing a provider: a page to go to, or instructions."""

    redirect_url: str = ""
    instructions: str = ""


class PaymentProvider:
    identifier: str = ""
    verbose_name = ""
    # False where money moves by hand (offline): a refund due waits for staff to hand it
    # back and record it, instead of a task calling ``refund``.
    refunds_automatically: bool = True

    def is_enabled(self) -> bool:
        return True

    def start(self, payment: Payment, *, request: HttpRequest) -> StartResult:
        """Begin paying *payment* (created, pending): e.g. open a checkout page."""
        raise NotImplementedError

    def refund(self, payment: Payment, *, amount: Decimal, reason: str) -> str:
        """Give money back for a succeeded *payment*; returns the provider's refund id."""
        raise NotImplementedError


_registry: dict[str, PaymentProvider] = {}


def register(provider: PaymentProvider) -> PaymentProvider:
    _registry[provider.identifier] = provider
    return provider


def get(identifier: str) -> PaymentProvider:
    return _registry[identifier]


def enabled() -> list[PaymentProvider]:
    return [provider for provider in _registry.values() if provider.is_enabled()]
