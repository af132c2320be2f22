"""Staff services on listings, called directly (as from the shell or a task): guarded,
idempotent, audited, counters kept equal to the confirmed rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import InvalidTransition, NotPermitted
from accounts.models import AuditEvent
from accounts.roles import Role
from marketplace import services, staff_services
from marketplace.models import (
    ClaimStatus,
    Listing,
    ListingStatus,
    PaymentStatus,
    Pledge,
    PledgeStatus,
)
from marketplace.payments import base
from marketplace.staff_services import DeadlineNotLater, ReasonRequired

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(city, make_user):
    return make_user(Role.TOWN_REVIEWER, city.north)


def test_only_fund_managers_and_reviewers_of_the_area_may_cancel(city, make_user, listing):
    for user in (
        make_user(Role.STATION_STAFF, city.north_a),
        make_user(Role.SUPERVISOR, city.city),
        make_user(Role.TOWN_REVIEWER, city.south),
        make_user(),
    ):
        with pytest.raises(NotPermitted):
            staff_services.listing_cancel(actor=user, listing=listing, reason="x")
        with pytest.raises(NotPermitted):
            staff_services.listing_extend_deadline(
                actor=user, listing=listing, deadline=timezone.localdate(), reason="x"
            )
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.OPEN


def test_a_reason_is_required(reviewer, listing):
    with pytest.raises(ReasonRequired):
        staff_services.listing_cancel(actor=reviewer, listing=listing, reason="  ")
    with pytest.raises(ReasonRequired):
        staff_services.listing_extend_deadline(
            actor=reviewer, listing=listing, deadline=timezone.localdate(), reason=""
        )


def test_cancel_releases_claims_cancels_pledges_and_keeps_counters_true(
    reviewer, make_user, listing
):
    donor = make_user()
    claim = services.claim_create(donor=donor, listing=listing)
    goods = listing.lines.get(kind="goods")
    dropped_off = services.pledge_create(donor=donor, line=goods, quantity=Decimal("1"))
    services.pledge_confirm(pledge=dropped_off)
    waiting = services.pledge_create(
        donor=donor, line=listing.lines.get(kind="service"), quantity=Decimal("2")
    )
    staff_services.listing_cancel(actor=reviewer, listing=listing, reason="已由民政解决")
    claim.refresh_from_db()
    goods.refresh_from_db()
    assert claim.status == ClaimStatus.RELEASED
    assert set(Pledge.objects.values_list("status", flat=True)) == {PledgeStatus.CANCELLED}
    assert goods.confirmed == 0 == Pledge.objects.filter(line=goods).confirmed().total()
    event = AuditEvent.objects.get(verb="listing.cancel")
    assert event.data["claims_released"] == 1 and event.data["pledges_cancelled"] == 2
    assert event.region == listing.community
    assert waiting.pk in Pledge.objects.filter(status=PledgeStatus.CANCELLED).values_list(
        "pk", flat=True
    )


def test_cancel_twice_is_a_harmless_no_op(reviewer, listing):
    staff_services.listing_cancel(actor=reviewer, listing=listing, reason="x")
    again = staff_services.listing_cancel(actor=reviewer, listing=listing, reason="y")
    assert again.status == ListingStatus.CANCELLED
    assert AuditEvent.objects.filter(verb="listing.cancel").count() == 1


def test_a_listing_in_delivery_cannot_be_cancelled(reviewer, listing):
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.IN_DELIVERY)
    with pytest.raises(InvalidTransition):
        staff_services.listing_cancel(actor=reviewer, listing=listing, reason="x")


def test_money_received_offline_is_left_for_staff_to_hand_back(
    reviewer, make_user, listing, money_line, django_capture_on_commit_callbacks
):
    offline = pytest.importorskip("marketplace.payments.offline")
    payments_services = pytest.importorskip("marketplace.payments.services")
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    payment = payments_services.payment_start(pledge=pledge, provider_id=offline.IDENTIFIER)
    base.get(offline.IDENTIFIER).start(payment, request=None)
    offline.offline_confirm(actor=reviewer, payment=payment, receipt_number="B-1")
    with django_capture_on_commit_callbacks(execute=True):
        staff_services.listing_cancel(actor=reviewer, listing=listing, reason="x")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED  # no money moved by itself
    event = AuditEvent.objects.get(verb="listing.cancel")
    assert event.data["refunds_by_hand"] == [payment.pk]
    assert event.data["refunds_through_provider"] == []


def test_extend_moves_the_deadline_later_only(reviewer, listing):
    today = timezone.localdate()
    Listing.objects.filter(pk=listing.pk).update(deadline=today + timedelta(days=10))
    with pytest.raises(DeadlineNotLater):
        staff_services.listing_extend_deadline(
            actor=reviewer, listing=listing, deadline=today + timedelta(days=10), reason="x"
        )
    with pytest.raises(DeadlineNotLater):
        staff_services.listing_extend_deadline(
            actor=reviewer, listing=listing, deadline=today - timedelta(days=1), reason="x"
        )
    done = staff_services.listing_extend_deadline(
        actor=reviewer, listing=listing, deadline=today + timedelta(days=40), reason="延期"
    )
    assert done.deadline == today + timedelta(days=40)
    event = AuditEvent.objects.get(verb="listing.extend")
    assert event.data == {
        "from": (today + timedelta(days=10)).isoformat(),
        "to": (today + timedelta(days=40)).isoformat(),
    }


def test_a_cancelled_listing_cannot_be_extended(reviewer, listing):
    staff_services.listing_cancel(actor=reviewer, listing=listing, reason="x")
    with pytest.raises(InvalidTransition):
        staff_services.listing_extend_deadline(
            actor=reviewer,
            listing=listing,
            deadline=timezone.localdate() + timedelta(days=90),
            reason="x",
        )
