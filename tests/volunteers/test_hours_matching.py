"""Verified hours on a listing's shift post the sponsors' hour matching into its escrow."""

from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.models import Account, LedgerTransaction, TransactionKind
from tests.marketplace.funds_helpers import assert_ledger_consistent, make_campaign
from tests.volunteers.conftest import make_shift
from volunteers import services
from volunteers.exceptions import HoursReasonNeeded

pytestmark = pytest.mark.django_db


def _escrow(listing) -> Decimal:
    account = Account.objects.filter(listing=listing).first()
    return account.balance if account else Decimal("0.00")


def _verified(shift, volunteer, staff, *, minutes=150, **kwargs):
    signup = services.shift_signup(volunteer=volunteer, shift=shift)
    services.check_in(actor=staff, signup=signup, now=shift.starts_at)
    services.check_out(actor=staff, signup=signup, now=shift.starts_at + timedelta(minutes=minutes))
    return services.hours_verify(actor=staff, signup=signup, **kwargs)


def test_hours_on_a_listings_shift_are_matched_by_every_covering_campaign(
    city, listing, city_fund, city_admin, north_staff, volunteer
):
    paying = make_campaign(city_fund, city_admin, hour_rate=Decimal("20"))
    also = make_campaign(city_fund, city_admin, name="第二个", hour_rate=Decimal("10"))
    elsewhere = make_campaign(
        city_fund, city_admin, name="南城", region=city.south, hour_rate=Decimal("30")
    )
    no_rate = make_campaign(city_fund, city_admin, name="无工时")
    paused = make_campaign(
        city_fund, city_admin, name="未开始", start=False, hour_rate=Decimal("50")
    )
    shift = make_shift(
        city.station_north, north_staff, listing_line=listing.lines.get(kind="service")
    )

    signup = _verified(shift, volunteer, north_staff)  # 2.5 h

    assert signup.hours == Decimal("2.50")
    entries = LedgerTransaction.objects.filter(kind=TransactionKind.HOURS_MATCH)
    assert sorted((e.campaign_id, e.external_reference) for e in entries) == [
        (paying.pk, f"shift-signup-{signup.pk}"),
        (also.pk, f"shift-signup-{signup.pk}"),
    ]
    assert _escrow(listing) == Decimal("75.00")  # 2.5 × (20 + 10)
    for campaign, matched in (
        (paying, "50.00"),
        (also, "25.00"),
        (elsewhere, "0"),
        (no_rate, "0"),
        (paused, "0"),
    ):
        campaign.refresh_from_db()
        assert campaign.matched == Decimal(matched), campaign.name
    assert_ledger_consistent()


def test_a_stations_own_shift_posts_no_matching(
    city, listing, city_fund, city_admin, north_staff, volunteer
):
    make_campaign(city_fund, city_admin, hour_rate=Decimal("20"))
    _verified(make_shift(city.station_north, north_staff), volunteer, north_staff)
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.HOURS_MATCH).exists()


def test_a_refused_verification_posts_nothing(
    city, listing, city_fund, city_admin, north_staff, volunteer
):
    make_campaign(city_fund, city_admin, hour_rate=Decimal("20"))
    shift = make_shift(
        city.station_north, north_staff, listing_line=listing.lines.get(kind="service")
    )
    with pytest.raises(HoursReasonNeeded):
        _verified(shift, volunteer, north_staff, hours=Decimal("5"))
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.HOURS_MATCH).exists()
    assert _escrow(listing) == Decimal("0.00")
