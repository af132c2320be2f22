"""Publishing, claiming and pledging through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from marketplace import services
from marketplace.exceptions import (
    AlreadyClaimed,
    BelowMinimum,
    FullyPledged,
    NotAMember,
    PartlyPledged,
    TooManyOpenPledges,
    WouldBeClipped,
)
from marketplace.models import ClaimStatus, Listing, ListingStatus, Pledge, PledgeStatus
from marketplace.payments import services as payments
from tests.accounts.factories import OrganisationFactory
from tests.marketplace.money import settle


@pytest.mark.django_db
def test_a_published_direct_wish_becomes_a_listing_with_its_lines(listing):
    assert listing.kind == "wish" and listing.status == ListingStatus.OPEN
    lines = {line.kind: line for line in listing.lines.all()}
    assert lines["money"].target == Decimal("1200.00")
    assert lines["goods"].target == 1 and lines["goods"].description == "轮椅 (折叠式)"
    assert lines["service"].target == 4 and lines["service"].description == "陪诊"
    assert listing.source.title == listing.title
    assert AuditEvent.objects.filter(verb="listing.publish", target_id=str(listing.pk)).exists()


@pytest.mark.django_db
def test_publishing_twice_gives_one_listing(listing):
    again = services.listing_publish(
        source=listing.source,
        kind="wish",
        title="x",
        story="y",
        category="other",
        community=listing.community,
        lines=[],
    )
    assert again == listing and Listing.objects.count() == 1


@pytest.mark.django_db
def test_one_donor_claims_a_listing_whole(listing, make_user):
    first, second = make_user(), make_user()
    claim = services.claim_create(donor=first, listing=listing)
    assert services.claim_create(donor=first, listing=listing) == claim  # a double click
    with pytest.raises(AlreadyClaimed):
        services.claim_create(donor=second, listing=listing)
    with pytest.raises(AlreadyClaimed):
        services.pledge_create(donor=second, line=listing.lines.first(), quantity=Decimal("100"))
    # The claimant pledges against their own claim.
    pledge = services.pledge_create(
        donor=first, line=listing.lines.get(kind="money"), quantity=Decimal("1200")
    )
    assert pledge.claim == claim


@pytest.mark.django_db
def test_an_expired_claim_frees_the_listing_at_once(listing, make_user):
    first, second = make_user(), make_user()
    claim = services.claim_create(donor=first, listing=listing)
    type(claim).objects.filter(pk=claim.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # No job has run: the read ignores the lapsed claim, and the history keeps it.
    second_claim = services.claim_create(donor=second, listing=listing)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.EXPIRED and second_claim.donor == second


@pytest.mark.django_db
def test_a_released_claim_frees_the_listing(listing, make_user):
    first, second = make_user(), make_user()
    claim = services.claim_create(donor=first, listing=listing)
    services.claim_release(actor=first, claim=claim)
    services.claim_create(donor=second, listing=listing)


@pytest.mark.django_db
def test_a_partly_pledged_listing_cannot_be_claimed_whole(listing, money_line, make_user):
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    with pytest.raises(PartlyPledged):
        services.claim_create(donor=make_user(), listing=listing)


@pytest.mark.django_db
def test_pledges_are_clipped_only_with_the_donors_consent(money_line, make_user):
    donor = make_user()
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("1000"))
    with pytest.raises(WouldBeClipped) as error:
        services.pledge_create(donor=donor, line=money_line, quantity=Decimal("500"))
    assert error.value.params["remaining"] == Decimal("200.00")
    pledge = services.pledge_create(
        donor=donor, line=money_line, quantity=Decimal("500"), accept_clipped=True
    )
    assert pledge.quantity == Decimal("200.00")
    with pytest.raises(FullyPledged):
        services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("50"))


@pytest.mark.django_db
def test_expired_reservations_free_capacity_without_a_job(money_line, make_user):
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("1200"))
    Pledge.objects.filter(pk=pledge.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.line_remaining(money_line) == Decimal("1200.00")
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("1200"))
    assert services.reservations_expire() == 1
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.EXPIRED


@pytest.mark.django_db
def test_confirming_fills_the_line_and_the_listing(listing, make_user):
    donor = make_user()
    for line in listing.lines.all():
        pledge = services.pledge_create(donor=donor, line=line, quantity=line.target)
        assert settle(pledge) is True
        assert settle(pledge) is True  # idempotent
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED
    for line in listing.lines.all():
        assert line.confirmed == line.target == Pledge.objects.filter(line=line).confirmed().total()


@pytest.mark.django_db
def test_a_late_payment_takes_room_again_or_asks_for_a_refund(money_line, make_user):
    def started_then_lapsed(amount: str):
        pledge = services.pledge_create(
            donor=make_user(), line=money_line, quantity=Decimal(amount)
        )
        payment = payments.payment_start(pledge=pledge, provider_id="offline")
        Pledge.objects.filter(pk=pledge.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        return pledge, payment

    late, late_payment = started_then_lapsed("800")
    payments.payment_succeeded(payment=late_payment, receipt_number="B-1")
    late.refresh_from_db()
    assert late.status == PledgeStatus.CONFIRMED  # room left: it re-reserves
    later, later_payment = started_then_lapsed("400")
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("400"))
    payments.payment_succeeded(payment=later_payment, receipt_number="B-2")
    later.refresh_from_db()
    assert later.status == PledgeStatus.REFUNDED  # the room went to someone else
    assert payments.refunds_due().get().pledge == later  # its money waits for its refund


@pytest.mark.django_db
def test_money_is_confirmed_only_by_its_payment(money_line, make_user):
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    with pytest.raises(ValueError):
        services.pledge_confirm(pledge=pledge)


@pytest.mark.django_db
def test_minimum_cap_and_membership(money_line, make_user):
    donor = make_user()
    with pytest.raises(BelowMinimum):
        services.pledge_create(donor=donor, line=money_line, quantity=Decimal("5"))
    with pytest.raises(NotAMember):
        services.pledge_create(
            donor=donor,
            line=money_line,
            quantity=Decimal("50"),
            organisation=OrganisationFactory(region=money_line.listing.community),
        )
    for _ in range(5):
        services.pledge_create(donor=donor, line=money_line, quantity=Decimal("10"))
    with pytest.raises(TooManyOpenPledges):
        services.pledge_create(donor=donor, line=money_line, quantity=Decimal("10"))


@pytest.mark.django_db
def test_cancel_frees_the_reservation(money_line, make_user):
    donor = make_user()
    pledge = services.pledge_create(donor=donor, line=money_line, quantity=Decimal("1200"))
    services.pledge_cancel(actor=donor, pledge=pledge)
    assert services.line_remaining(money_line) == Decimal("1200.00")
