"""Helpers of the funds, matching and ledger tests (the ``city_admin`` and ``city_fund``
fixtures are in ``conftest.py``)."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from marketplace import funds
from marketplace.models import (
    HOLDING_KINDS,
    Account,
    Campaign,
    CampaignStatus,
    Fund,
    LedgerLine,
    LedgerTransaction,
)


def make_campaign(fund: Fund, actor, *, start: bool = True, **rules) -> Campaign:
    """A campaign on *fund* over the fund's region: 1:1 with a ¥10,000 pool unless told."""
    defaults = {
        "name": "一元配一元",
        "tiers": [{"up_to": None, "ratio": "1.00"}],
        "pool_cap": Decimal("10000"),
        "region": fund.region,
        "starts_at": timezone.now() - timedelta(hours=1),
    }
    defaults.update(rules)
    campaign = funds.campaign_create(actor=actor, fund=fund, rules=funds.CampaignRules(**defaults))
    if start:
        campaign = funds.campaign_move(actor=actor, campaign=campaign, to=CampaignStatus.ACTIVE)
    return campaign


def assert_ledger_consistent() -> None:
    """Every transaction balances, and every cached balance equals its ledger sum."""
    unbalanced = (
        LedgerTransaction.objects.annotate(total=Sum("lines__amount")).exclude(total=0).count()
    )
    assert unbalanced == 0
    sums = dict(
        LedgerLine.objects.values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    for account in Account.objects.filter(kind__in=sorted(HOLDING_KINDS)):
        assert account.balance == sums.get(account.pk, Decimal("0.00")), account.code
        assert account.balance >= 0, account.code
