"""The demo's money: funds, counterpart deposits, matching campaigns, a payout, a refund and
an express payment, all through the services, balanced, and loaded only once."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent
from marketplace import demo, funds
from marketplace.models import (
    Campaign,
    CampaignStatus,
    Claim,
    Disbursement,
    DisbursementStatus,
    Fund,
    FundAllocation,
    FundGrant,
    FundOwner,
    FundTopUp,
    LedgerLine,
    LedgerTransaction,
    Listing,
    ListingStatus,
    Match,
    MatchStatus,
    PayeeKind,
    Payment,
    PaymentStatus,
    TopUpKind,
    TransactionKind,
)
from tests.marketplace.funds_helpers import assert_ledger_consistent
from wishes.models import Route, Status, Wish


def seed() -> None:
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Fund,
            FundTopUp,
            FundAllocation,
            FundGrant,
            Campaign,
            Claim,
            Match,
            Disbursement,
            Payment,
            LedgerTransaction,
            LedgerLine,
            AuditEvent,
        )
    }


def the_city_fund_is_topped_up_by_an_appropriation() -> None:
    city = Fund.objects.get(name=demo.CITY_FUND)
    assert city.owner == FundOwner.CITY and city.region.code == "dg"
    appropriation = city.top_ups.get()
    assert appropriation.kind == TopUpKind.APPROPRIATION
    assert appropriation.reference == "东财〔2026〕18号"
    assert appropriation.transaction.kind == TransactionKind.TOP_UP
    # It passed money on to two towns and kept the rest.
    given = sum(a.amount for a in city.allocations_out.all())
    assert city.allocations_out.count() == 2
    assert city.balance == appropriation.amount - given


def two_towns_owe_counterparts_and_one_is_behind() -> None:
    rows = funds.counterparts(Fund.objects.filter(owner=FundOwner.TOWN))
    assert {r.ratio for r in rows} == {Decimal("1.00"), Decimal("0.50")}
    assert all(r.allocated > 0 and r.deposited > 0 for r in rows)
    assert sorted(r.compliant for r in rows) == [False, True]
    behind = next(r for r in rows if not r.compliant)
    assert behind.outstanding == behind.owed - behind.deposited > 0
    assert FundTopUp.objects.filter(kind=TopUpKind.COUNTERPART).count() == 2


def the_federation_and_a_company_match_gifts() -> None:
    federation = Campaign.objects.get(slug=demo.FEDERATION_CAMPAIGN)
    assert federation.status == CampaignStatus.ACTIVE
    assert federation.fund.owner == FundOwner.CHARITY_FEDERATION
    assert federation.fund.organisation.name == demo.FEDERATION
    assert federation.tiers == [{"up_to": None, "ratio": "1.00"}]
    assert federation.per_donor_cap == 500 and federation.per_listing_cap is not None
    confirmed = Match.objects.filter(campaign=federation, status=MatchStatus.CONFIRMED)
    assert federation.matched > 0
    assert federation.matched == sum(m.amount for m in confirmed)
    assert confirmed.values("donor").distinct().count() >= 3  # several donors matched

    company = Campaign.objects.get(fund__owner=FundOwner.COMPANY)
    assert company.status == CampaignStatus.ACTIVE
    assert company.fund.organisation.name == demo.COMPANY
    assert company.tiers == [{"up_to": "50.00", "ratio": "0.50"}]
    assert company.categories == ["education"] and company.region.code == "dg-nc"
    match = Match.objects.get(campaign=company, status=MatchStatus.CONFIRMED)
    assert match.amount == Decimal("25.00") and match.listing.category == "education"
    # The company's own people are not matched by its own pool.
    assert not Match.objects.filter(campaign=company, donor__email="company@linli.local").exists()


def a_listing_is_filled_delivered_and_paid_to_a_supplier() -> None:
    payout = Disbursement.objects.get(status=DisbursementStatus.PAID)
    assert payout.payee_kind == PayeeKind.SUPPLIER and payout.payee_name
    assert payout.listing.status == ListingStatus.DELIVERED
    assert payout.requested_by.email == "station.staff@linli.local"
    assert payout.decided_by.email == "town.reviewer@linli.local"
    assert payout.transaction.kind == TransactionKind.DISBURSEMENT
    line = payout.listing.lines.get()
    assert line.confirmed == line.target == payout.amount
    assert payout.listing.matches.filter(status=MatchStatus.CONFIRMED).exists()
    assert payout.listing.escrow.balance == 0  # everything raised was paid out


def a_refund_gives_its_match_back() -> None:
    refunded = Payment.objects.get(status=PaymentStatus.REFUNDED)
    returned = Match.objects.get(pledge=refunded.pledge)
    assert returned.status == MatchStatus.RETURNED
    back = LedgerTransaction.objects.get(kind=TransactionKind.MATCH_RETURN)
    assert back.pledge == refunded.pledge and back.fund == returned.campaign.fund
    assert LedgerTransaction.objects.filter(
        kind=TransactionKind.REFUND, pledge=refunded.pledge
    ).exists()
    # The listing is still open to others.
    assert returned.listing.status == ListingStatus.OPEN


def an_express_wish_is_paid_from_a_town_fund() -> None:
    grant = FundGrant.objects.get()
    wish = grant.source
    assert isinstance(wish, Wish) and wish.route == Route.EXPRESS
    assert wish.status == Status.RESOLVED and grant.amount == wish.express_amount
    assert grant.fund.owner == FundOwner.TOWN and grant.transaction.kind == TransactionKind.GRANT
    # The payee is private: nothing about them in the trail.
    for event in AuditEvent.objects.filter(verb__startswith="fund."):
        assert grant.payee_name not in f"{event.target_label} {event.reason} {event.data}"
    # The wishes demo's own express wish still waits for the reviewer.
    assert Wish.objects.filter(status=Status.PUBLISHED, route=Route.EXPRESS).exists()


def a_donor_has_claimed_a_listing_whole() -> None:
    claim = Claim.objects.select_related("listing", "donor").get()
    assert claim.donor.email == "donor@linli.local"
    assert claim.listing.status == ListingStatus.OPEN
    assert not claim.listing.lines.filter(pledges__isnull=False).exists()


def the_demo_ledger_balances() -> None:
    assert_ledger_consistent()
    for listing in Listing.objects.all():
        assert listing.escrow.balance == listing.escrow.ledger_balance()


@pytest.mark.django_db
def test_the_demo_shows_each_flow_of_money():
    # Seeding takes a while: one seed, then each flow checked in turn.
    seed()
    the_city_fund_is_topped_up_by_an_appropriation()
    two_towns_owe_counterparts_and_one_is_behind()
    the_federation_and_a_company_match_gifts()
    a_listing_is_filled_delivered_and_paid_to_a_supplier()
    a_refund_gives_its_match_back()
    an_express_wish_is_paid_from_a_town_fund()
    a_donor_has_claimed_a_listing_whole()
    the_demo_ledger_balances()


@pytest.mark.django_db
def test_seeding_twice_changes_nothing():
    seed()
    first = counts()
    seed()
    assert counts() == first
    assert first["LedgerTransaction"] > 0 and demo.seed_funds() == 0
