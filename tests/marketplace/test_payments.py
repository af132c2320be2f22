"""Paying for money pledges through the services and the offline provider."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import NotPermitted
from accounts.models import AuditEvent
from accounts.roles import Role
from marketplace import services as marketplace
from marketplace.models import (
    ListingStatus,
    Payment,
    PaymentStatus,
    Pledge,
    PledgeStatus,
    Receipt,
)
from marketplace.payments import base, offline
from marketplace.payments import services as payments
from marketplace.payments.exceptions import (
    NotPayable,
    NotRefundable,
    ProviderUnavailable,
    ReasonRequired,
    ReceiptNumberRequired,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def station_staff(city, make_user):
    return make_user(Role.STATION_STAFF, city.north_a)


@pytest.fixture
def finance(city, make_user):
    """A town reviewer: may manage funds (confirm and refund) in the whole town."""
    return make_user(Role.TOWN_REVIEWER, city.north)


def _pledge(line, donor, amount="300") -> Pledge:
    return marketplace.pledge_create(donor=donor, line=line, quantity=Decimal(amount))


def _offline_payment(line, donor, amount="300") -> Payment:
    payment = payments.payment_start(pledge=_pledge(line, donor, amount), provider_id="offline")
    base.get("offline").start(payment)
    payment.refresh_from_db()
    return payment


def _lapse(pledge: Pledge) -> None:
    Pledge.objects.filter(pk=pledge.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


# --- Starting ---------------------------------------------------------------------------


def test_a_payment_is_opened_once_for_a_pending_money_pledge(money_line, make_user):
    pledge = _pledge(money_line, make_user())
    payment = payments.payment_start(pledge=pledge, provider_id="offline")
    assert payment.status == PaymentStatus.CREATED
    assert payment.amount == Decimal("300.00") and payment.provider == "offline"
    assert payments.payment_start(pledge=pledge, provider_id="offline") == payment  # double click
    assert AuditEvent.objects.filter(verb="payment.start", target_id=str(payment.pk)).count() == 1


def test_only_pending_unexpired_money_pledges_can_be_paid(listing, money_line, make_user):
    donor = make_user()
    goods = marketplace.pledge_create(
        donor=donor, line=listing.lines.get(kind="goods"), quantity=Decimal("1")
    )
    with pytest.raises(NotPayable):
        payments.payment_start(pledge=goods, provider_id="offline")
    lapsed = _pledge(money_line, donor)
    _lapse(lapsed)
    with pytest.raises(NotPayable):
        payments.payment_start(pledge=lapsed, provider_id="offline")
    cancelled = _pledge(money_line, donor)
    marketplace.pledge_cancel(actor=donor, pledge=cancelled)
    with pytest.raises(NotPayable):
        payments.payment_start(pledge=cancelled, provider_id="offline")
    assert not Payment.objects.exists()


def test_stripe_is_unavailable_without_its_keys(money_line, make_user, settings):
    settings.STRIPE_SECRET_KEY = ""
    pledge = _pledge(money_line, make_user())
    assert [p.identifier for p in base.enabled()] == ["offline"]
    with pytest.raises(ProviderUnavailable):
        payments.payment_start(pledge=pledge, provider_id="stripe")
    with pytest.raises(ProviderUnavailable):
        payments.payment_start(pledge=pledge, provider_id="paypal")


# --- Offline ----------------------------------------------------------------------------


def test_offline_gives_a_reference_code_and_instructions(listing, money_line, make_user, english):
    payment = payments.payment_start(pledge=_pledge(money_line, make_user()), provider_id="offline")
    result = base.get("offline").start(payment)
    payment.refresh_from_db()
    code = payment.external_id
    assert payment.status == PaymentStatus.PENDING
    assert code.startswith("LL") and len(code) == 10 and code[2:].isalnum()
    assert code in result.instructions and "¥300.00" in result.instructions
    assert offline.DEV_BANK_ACCOUNT in result.instructions
    assert listing.station.name in result.instructions and not result.redirect_url
    # Asking again shows the same code.
    assert base.get("offline").start(payment).instructions == result.instructions


def test_offline_instructions_name_the_configured_account_in_chinese(
    money_line, make_user, settings
):
    settings.OFFLINE_BANK_ACCOUNT = "东莞市慈善会 工商银行 1234"
    payment = _offline_payment(money_line, make_user())
    text = base.get("offline").instructions(payment)
    assert "东莞市慈善会 工商银行 1234" in text and payment.external_id in text


def test_reference_codes_are_unique(money_line, make_user, monkeypatch):
    first = _offline_payment(money_line, make_user())
    codes = iter([first.external_id, "LL23456789"])
    monkeypatch.setattr(offline, "reference_code", lambda: next(codes))
    second = _offline_payment(money_line, make_user())
    assert second.external_id == "LL23456789"


def test_station_staff_confirm_an_offline_payment_with_the_receipt_number(
    listing, money_line, make_user, station_staff
):
    donor = make_user()
    payment = _offline_payment(money_line, donor)
    payment = offline.offline_confirm(
        actor=station_staff, payment=payment, receipt_number=" B-778 "
    )
    assert payment.status == PaymentStatus.SUCCEEDED and payment.settled_at
    assert payment.receipt_number == "B-778" and payment.confirmed_by == station_staff
    pledge = payment.pledge
    pledge.refresh_from_db()
    money_line.refresh_from_db()
    assert pledge.status == PledgeStatus.CONFIRMED
    assert money_line.confirmed == Decimal("300.00")
    year = timezone.localdate().year
    assert payment.receipt.number == f"R{year}-000001"
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"payment.succeed", "pledge.confirm", "receipt.issue"} <= verbs
    # Confirming again changes nothing.
    offline.offline_confirm(actor=station_staff, payment=payment, receipt_number="B-779")
    money_line.refresh_from_db()
    assert money_line.confirmed == Decimal("300.00") and Receipt.objects.count() == 1


def test_offline_confirmation_needs_the_right_role_in_the_right_area(
    city, money_line, make_user, finance
):
    payment = _offline_payment(money_line, make_user())
    for outsider in (
        make_user(Role.STATION_STAFF, city.south_a),  # another area
        make_user(Role.TOWN_REVIEWER, city.south),
        make_user(Role.SUPERVISOR, city.city),  # reads, never acts
        make_user(),  # a donor
        payment.pledge.donor,
    ):
        with pytest.raises(NotPermitted):
            offline.offline_confirm(actor=outsider, payment=payment, receipt_number="B-1")
    with pytest.raises(ReceiptNumberRequired):
        offline.offline_confirm(actor=finance, payment=payment, receipt_number="  ")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    # Finance in the town may confirm (Perm.FUND_MANAGE).
    assert (
        offline.offline_confirm(actor=finance, payment=payment, receipt_number="B-1").status
        == PaymentStatus.SUCCEEDED
    )


def test_receipts_are_numbered_consecutively_per_year(money_line, make_user, station_staff):
    numbers = []
    for _ in range(3):
        payment = _offline_payment(money_line, make_user())
        offline.offline_confirm(actor=station_staff, payment=payment, receipt_number="B")
        numbers.append(Receipt.objects.get(payment=payment).number)
    year = timezone.localdate().year
    assert numbers == [f"R{year}-000001", f"R{year}-000002", f"R{year}-000003"]
    # A new year starts again at 1 (the year is the local one, Asia/Shanghai).
    payment = _offline_payment(money_line, make_user())
    new_year = timezone.make_aware(datetime(year + 1, 1, 1, 0, 30))
    payments.payment_succeeded(payment=payment, now=new_year)
    assert Receipt.objects.get(payment=payment).number == f"R{year + 1}-000001"


def test_offline_refund_is_recorded_by_finance_with_a_reason(
    listing, money_line, make_user, station_staff, finance
):
    payment = _offline_payment(money_line, make_user(), amount="1200")
    offline.offline_confirm(actor=station_staff, payment=payment, receipt_number="B-9")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.OPEN  # goods and service are still open
    with pytest.raises(ReasonRequired):
        payments.payment_refund(payment=payment, actor=finance, reason=" ")
    with pytest.raises(NotPermitted):  # station staff log deliveries; money goes back by finance
        payments.payment_refund(payment=payment, actor=station_staff, reason="wrong need")
    payment = payments.payment_refund(
        payment=payment, actor=finance, reason="wrong need", refund_reference="TR-2026-1"
    )
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == Decimal("1200.00") and payment.refund_id == "TR-2026-1"
    pledge = Pledge.objects.get(pk=payment.pledge_id)
    money_line.refresh_from_db()
    assert pledge.status == PledgeStatus.REFUNDED and money_line.confirmed == 0
    event = AuditEvent.objects.get(verb="payment.refund")
    assert event.actor == finance and event.reason == "wrong need"
    # Refunding again is a no-op.
    assert payments.payment_refund(payment=payment, actor=finance, reason="again") == payment
    assert AuditEvent.objects.filter(verb="payment.refund").count() == 1


def test_a_refund_reopens_a_fully_pledged_listing(listing, make_user, station_staff, finance):
    donor = make_user()
    for line in listing.lines.exclude(kind="money"):
        marketplace.pledge_confirm(
            pledge=marketplace.pledge_create(donor=donor, line=line, quantity=line.target)
        )
    payment = _offline_payment(listing.lines.get(kind="money"), donor, amount="1200")
    offline.offline_confirm(actor=station_staff, payment=payment, receipt_number="B-1")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED
    payments.payment_refund(payment=payment, actor=finance, reason="donor asked")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.OPEN


def test_only_received_money_is_refunded(money_line, make_user, finance):
    payment = _offline_payment(money_line, make_user())
    with pytest.raises(NotRefundable):
        payments.payment_refund(payment=payment, actor=finance, reason="x")


# --- Late money and monotonic states ----------------------------------------------------


def test_late_money_takes_capacity_again_when_there_is_room(money_line, make_user, station_staff):
    payment = _offline_payment(money_line, make_user())
    _lapse(payment.pledge)
    marketplace.reservations_expire()
    offline.offline_confirm(actor=station_staff, payment=payment, receipt_number="B-1")
    pledge = Pledge.objects.get(pk=payment.pledge_id)
    money_line.refresh_from_db()
    assert pledge.status == PledgeStatus.CONFIRMED and money_line.confirmed == Decimal("300.00")


def test_late_offline_money_without_room_becomes_a_refund_due_for_staff(
    money_line, make_user, station_staff, finance, django_capture_on_commit_callbacks
):
    late = _offline_payment(money_line, make_user(), amount="1200")
    _lapse(late.pledge)
    _pledge(money_line, make_user(), amount="1200")  # someone else takes the room
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        offline.offline_confirm(actor=station_staff, payment=late, receipt_number="B-2")
    assert not callbacks  # no provider call: the money is handed back by hand
    late.refresh_from_db()
    money_line.refresh_from_db()
    assert late.status == PaymentStatus.SUCCEEDED and not Receipt.objects.exists()
    assert Pledge.objects.get(pk=late.pledge_id).status == PledgeStatus.REFUNDED
    assert money_line.confirmed == 0
    assert list(payments.refunds_due()) == [late]
    due = AuditEvent.objects.get(verb="payment.refund_due")
    assert due.data["code"] == "late_no_room" and due.reason
    payments.payment_refund(payment=late, actor=finance, reason=due.reason, refund_reference="T9")
    assert not payments.refunds_due().exists()


def test_failed_and_expired_never_undo_a_received_payment(money_line, make_user, station_staff):
    payment = _offline_payment(money_line, make_user())
    offline.offline_confirm(actor=station_staff, payment=payment, receipt_number="B-1")
    assert payments.payment_expired(payment=payment).status == PaymentStatus.SUCCEEDED
    assert payments.payment_failed(payment=payment).status == PaymentStatus.SUCCEEDED
    other = _offline_payment(money_line, make_user())
    assert payments.payment_expired(payment=other).status == PaymentStatus.EXPIRED
    assert payments.payment_failed(payment=other).status == PaymentStatus.EXPIRED
    # Money that really arrived after all still counts.
    assert payments.payment_succeeded(payment=other).status == PaymentStatus.SUCCEEDED


def test_a_cancelled_pledge_paid_anyway_is_refunded(money_line, make_user, station_staff):
    donor = make_user()
    payment = _offline_payment(money_line, donor)
    marketplace.pledge_cancel(actor=donor, pledge=payment.pledge)
    offline.offline_confirm(actor=station_staff, payment=payment, receipt_number="B-1")
    assert list(payments.refunds_due()) == [payment]
    assert AuditEvent.objects.get(verb="payment.refund_due").data["code"] == "not_open"
    money_line.refresh_from_db()
    assert money_line.confirmed == 0 and not Receipt.objects.exists()
    assert Pledge.objects.get(pk=payment.pledge_id).status == PledgeStatus.REFUNDED
