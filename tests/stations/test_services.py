"""The delivery log and goods intake, through their services."""

from decimal import Decimal

import pytest
from django.core import mail

from accounts.errors import NotPermitted
from accounts.models import AuditEvent
from accounts.roles import Role
from feedback.models import ConfirmationLink
from marketplace import services as marketplace
from marketplace.models import ListingStatus, PledgeStatus
from stations import services
from stations.exceptions import (
    AlreadyAttested,
    AttestationReasonRequired,
    DiscrepancyRequired,
    NotDeliverable,
    NotGoods,
    OverDelivery,
)
from stations.models import Condition, Delivery
from tests.stations.conftest import fully_pledge, wish_of
from tests.wishes.factories import make_wish
from wishes.models import AidRecord, AidSource, Status

pytestmark = pytest.mark.django_db


def _line(listing, kind):
    return listing.lines.get(kind=kind)


def _deliver_all(listing, staff, *, except_kind=None):
    for line in listing.lines.order_by("pk"):
        if line.kind != except_kind:
            services.delivery_log(actor=staff, line=line, quantity=line.target, note="已送达")


def test_partial_deliveries_add_up_and_move_the_listing_into_delivery(listing, staff, make_user):
    fully_pledge(listing, make_user)
    goods = _line(listing, "goods")

    first = services.delivery_log(actor=staff, line=goods, quantity=Decimal("1"), note="第一台轮椅")

    listing.refresh_from_db()
    assert listing.status == ListingStatus.IN_DELIVERY
    assert first.household_id == wish_of(listing).household_id
    assert first.station == listing.station
    services.delivery_log(actor=staff, line=goods, quantity=Decimal("1"), note="第二台轮椅")
    assert services.delivered_by_line(listing)[goods.pk] == Decimal("2")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.IN_DELIVERY  # money and service still to deliver
    assert AuditEvent.objects.filter(verb="delivery.log").count() == 2
    assert AuditEvent.objects.filter(verb="listing.in_delivery").count() == 1


def test_over_delivery_is_refused(listing, staff, make_user):
    fully_pledge(listing, make_user)
    goods = _line(listing, "goods")
    services.delivery_log(actor=staff, line=goods, quantity=Decimal("1"), note="一台")

    with pytest.raises(OverDelivery) as error:
        services.delivery_log(actor=staff, line=goods, quantity=Decimal("2"), note="两台")

    assert error.value.status == 409
    assert "1" in str(error.value)
    assert Delivery.objects.filter(line=goods).count() == 1


def test_a_delivery_needs_a_note(listing, staff, make_user):
    from stations.exceptions import NoteRequired

    fully_pledge(listing, make_user)
    with pytest.raises(NoteRequired):
        services.delivery_log(
            actor=staff, line=_line(listing, "goods"), quantity=Decimal("1"), note="  "
        )
    assert not Delivery.objects.exists()


def test_listing_not_fully_pledged_is_not_deliverable(listing, staff):
    with pytest.raises(NotDeliverable):
        services.delivery_log(
            actor=staff, line=_line(listing, "goods"), quantity=Decimal("1"), note="x"
        )
    assert not Delivery.objects.exists()


def test_last_line_delivers_the_listing_and_records_aid(listing, staff, make_user):
    fully_pledge(listing, make_user)
    wish = wish_of(listing)
    _deliver_all(listing, staff, except_kind="service")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.IN_DELIVERY
    assert not AidRecord.objects.exists()

    services.delivery_log(
        actor=staff, line=_line(listing, "service"), quantity=Decimal("4"), note="陪诊四小时"
    )

    listing.refresh_from_db()
    assert listing.status == ListingStatus.DELIVERED
    assert AuditEvent.objects.filter(verb="listing.delivered", target_id=str(listing.pk)).exists()
    aid = AidRecord.objects.get(household=wish.household)
    assert aid.value == Decimal("1200.00")
    assert aid.source == AidSource.LINLI
    assert aid.wish_id == wish.pk
    wish.refresh_from_db()
    assert wish.status == Status.RESOLVED  # the requester is told their wish came true
    # The recipient is asked to confirm and rate, once.
    link = ConfirmationLink.objects.get(listing=listing)
    assert link.household_id == wish.household_id and link.used_at is None
    # A further delivery is refused: everything is delivered.
    with pytest.raises(NotDeliverable):
        services.delivery_log(
            actor=staff, line=_line(listing, "money"), quantity=Decimal("1"), note="x"
        )


def test_a_station_route_wish_is_delivered_through_its_listing(city, staff, make_user):
    from marketplace.models import Listing

    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    wish = make_wish(staff, city.north_a, status=Status.STATION_SERVICE, reviewer=reviewer)
    listing = Listing.objects.of(wish).get()
    assert not listing.offered

    _deliver_all(listing, staff)

    listing.refresh_from_db()
    wish.refresh_from_db()
    assert listing.status == ListingStatus.DELIVERED
    assert wish.status == Status.RESOLVED
    assert Delivery.objects.filter(listing=listing).count() == listing.lines.count()


def test_delivered_aid_lowers_the_households_other_open_wishes(city, listing, staff, make_user):
    fully_pledge(listing, make_user)
    household = wish_of(listing).household
    other = make_wish(staff, city.north_a, household=household, duplicate_reason="另一项需要")
    before = other.need_index
    assert before is not None

    _deliver_all(listing, staff)

    other.refresh_from_db()
    assert other.status == Status.ACCEPTED
    assert other.need_index < before


def test_station_staff_of_another_community_may_not_log(listing, south_staff, make_user):
    fully_pledge(listing, make_user)
    with pytest.raises(NotPermitted):
        services.delivery_log(
            actor=south_staff, line=_line(listing, "goods"), quantity=Decimal("1"), note="x"
        )
    with pytest.raises(NotPermitted):
        services.goods_intake_record(
            actor=south_staff,
            pledge=listing.lines.get(kind="goods").pledges.get(),
            item="轮椅",
            quantity=Decimal("2"),
            condition=Condition.NEW,
        )
    assert not Delivery.objects.exists()


def test_attestation_needs_a_reason_and_happens_once(listing, staff, make_user):
    fully_pledge(listing, make_user)
    delivery = services.delivery_log(
        actor=staff, line=_line(listing, "goods"), quantity=Decimal("2"), note="两台轮椅"
    )
    with pytest.raises(AttestationReasonRequired) as error:
        services.delivery_attest(actor=staff, delivery=delivery, reason="   ")
    assert error.value.status == 400

    services.delivery_attest(actor=staff, delivery=delivery, reason="老人卧床，无法签收")

    delivery.refresh_from_db()
    assert delivery.attested_by == staff
    assert delivery.attestation_reason == "老人卧床，无法签收"
    assert delivery.attested_at is not None
    assert AuditEvent.objects.filter(verb="delivery.attest").count() == 1
    with pytest.raises(AlreadyAttested):
        services.delivery_attest(actor=staff, delivery=delivery, reason="again")


def test_attestation_at_logging_time(listing, staff, make_user):
    fully_pledge(listing, make_user)
    delivery = services.delivery_log(
        actor=staff,
        line=_line(listing, "goods"),
        quantity=Decimal("1"),
        note="一台",
        attestation_reason="老人不识字",
    )
    assert delivery.is_attested and delivery.attested_by == staff


def test_intake_records_the_goods_and_tells_the_donor(
    listing, staff, make_user, django_capture_on_commit_callbacks
):
    pledges = fully_pledge(listing, make_user)
    pledge = pledges["goods"]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        intake = services.goods_intake_record(
            actor=staff,
            pledge=pledge,
            item="折叠轮椅",
            quantity=Decimal("2"),
            condition=Condition.NEW,
        )

    assert intake.station == listing.station
    assert intake.received_by == staff
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [pledge.donor.email]
    assert listing.reference in message.subject
    assert "折叠轮椅" in message.body
    event = AuditEvent.objects.get(verb="goods.intake")
    assert event.data == {
        "pledge": pledge.pk,
        "listing": listing.pk,
        "quantity": "2",
        "condition": "new",
    }


def test_intake_with_a_discrepancy_needs_a_note(listing, staff, make_user):
    pledge = fully_pledge(listing, make_user)["goods"]
    with pytest.raises(DiscrepancyRequired):
        services.goods_intake_record(
            actor=staff, pledge=pledge, item="轮椅", quantity=Decimal("1"), condition=Condition.NEW
        )
    with pytest.raises(DiscrepancyRequired):
        services.goods_intake_record(
            actor=staff,
            pledge=pledge,
            item="轮椅",
            quantity=Decimal("2"),
            condition=Condition.DAMAGED,
        )
    intake = services.goods_intake_record(
        actor=staff,
        pledge=pledge,
        item="轮椅",
        quantity=Decimal("1"),
        condition=Condition.GOOD,
        discrepancy="只送来一台，另一台下周送",
    )
    assert intake.discrepancy == "只送来一台，另一台下周送"
    # The second drop-off brings what was still to come: no discrepancy to explain.
    services.goods_intake_record(
        actor=staff, pledge=pledge, item="轮椅", quantity=Decimal("1"), condition=Condition.NEW
    )
    assert pledge.intakes.count() == 2


def test_intake_confirms_a_pending_goods_pledge(listing, staff, make_user):
    goods = _line(listing, "goods")
    pledge = marketplace.pledge_create(donor=make_user(), line=goods, quantity=Decimal("2"))
    assert pledge.status == PledgeStatus.PENDING

    services.goods_intake_record(
        actor=staff, pledge=pledge, item="轮椅", quantity=Decimal("2"), condition=Condition.NEW
    )

    pledge.refresh_from_db()
    goods.refresh_from_db()
    assert pledge.status == PledgeStatus.CONFIRMED
    assert goods.confirmed == Decimal("2")


def test_intake_refuses_a_money_pledge(listing, staff, make_user):
    pledge = fully_pledge(listing, make_user)["money"]
    with pytest.raises(NotGoods):
        services.goods_intake_record(
            actor=staff, pledge=pledge, item="x", quantity=Decimal("1"), condition=Condition.NEW
        )


def test_photo_share_needs_the_no_personal_data_confirmation(listing, staff, make_user):
    from stations.exceptions import NoPersonalDataUnconfirmed
    from tests.stations.conftest import jpeg_bytes, upload

    fully_pledge(listing, make_user)
    delivery = services.delivery_log(
        actor=staff, line=_line(listing, "goods"), quantity=Decimal("2"), note="两台轮椅"
    )
    photo = services.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(jpeg_bytes()))
    with pytest.raises(NoPersonalDataUnconfirmed):
        services.delivery_photo_share(actor=staff, photo=photo, shareable=True)
    photo.refresh_from_db()
    assert not photo.shareable

    services.delivery_photo_share(actor=staff, photo=photo, shareable=True, no_personal_data=True)

    photo.refresh_from_db()
    assert photo.shareable and photo.shared_by == staff
    assert AuditEvent.objects.filter(verb="delivery_photo.share").count() == 1
    services.delivery_photo_share(actor=staff, photo=photo, shareable=False)
    photo.refresh_from_db()
    assert not photo.shareable and photo.shared_by is None
