"""Fixtures of the donor and staff page tests: fake payment providers, an empty rate-limit
cache. Import them into a test module (``from tests.marketplace.giving_fixtures import *``).
"""

from decimal import Decimal

import pytest
from django.core.cache import cache

from marketplace.models import Payment
from marketplace.payments import base


class FakeTransfer(base.PaymentProvider):
    """Like a bank transfer: a reference code and instructions; refunds go back by hand."""

    identifier = "fake_transfer"
    verbose_name = "Fake transfer"
    refunds_automatically = False

    def start(self, payment: Payment, *, request) -> base.StartResult:
        code = f"FT{payment.pk:06d}"
        Payment.objects.filter(pk=payment.pk).update(external_id=code, status="pending")
        payment.external_id = code
        return base.StartResult(instructions=f"Transfer ¥{payment.amount} quoting {code}.")

    def refund(self, payment: Payment, *, amount: Decimal, reason: str) -> str:
        return ""


class FakeCard(base.PaymentProvider):
    """Like Stripe Checkout: a page to go to; refunds through the provider."""

    identifier = "fake_card"
    verbose_name = "Fake card"
    refunded: list[int] = []

    def start(self, payment: Payment, *, request) -> base.StartResult:
        return base.StartResult(redirect_url=f"https://pay.example.com/checkout/{payment.pk}")

    def refund(self, payment: Payment, *, amount: Decimal, reason: str) -> str:
        self.refunded.append(payment.pk)
        return f"re_{payment.pk}"


@pytest.fixture
def fake_providers():
    """Only the two fakes are registered for the test; the real registry comes back after."""
    saved = dict(base._registry)
    base._registry.clear()
    transfer, card = FakeTransfer(), FakeCard()
    card.refunded = []
    base.register(transfer)
    base.register(card)
    yield transfer, card
    base._registry.clear()
    base._registry.update(saved)


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()
