"""Fixtures of the funds, matching and ledger tests: a funded city fund and a campaign.

Import them into a test module (``from tests.marketplace.funds_fixtures import *``).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from accounts.roles import Role
from marketplace import funds
from marketplace.models import (
    HOLDING_KINDS,
    Account,
    Campaign,
    CampaignStatus,
    Fund,
    FundOwner,
    LedgerLine,
    LedgerTransaction,
    TopUpKind,
)


@pytest.fixture
def city_admin(city, make_user):
    return make_user(Role.CITY_ADMIN, city.city)


@pytest.fixture
def city_fund(city, city_admin) -> Fund:
    """The city's special fund, holding ¥100,000."""
    fund = funds.fund_create(
        actor=city_admin, name="东莞市专项资金", owner=FundOwner.CITY, region=city.city
    )
    funds.fund_top_up(
        actor=city_admin,
        fund=fund,
        kind=TopUpKind.APPROPRIATION,
        amount=Decimal("100000"),
        reference="东财〔2026〕1号",
    )
    return fund


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
