"""Staff listing pages: scoped to the user's area (404 elsewhere), donors visible to staff,
cancel and extend with a reason, offline payments confirmed with a receipt number.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from marketplace import services
from marketplace.models import (
    ClaimStatus,
    Listing,
    ListingStatus,
    Payment,
    PaymentStatus,
    PledgeStatus,
)
from marketplace.payments import base
from tests.marketplace import giving_fixtures

pytestmark = pytest.mark.django_db

fake_providers = giving_fixtures.fake_providers


@pytest.fixture
def staff(city, make_user):
    """Who is who around the north listing."""

    class People:
        north_station = make_user(Role.STATION_STAFF, city.north_a)
        north_reviewer = make_user(Role.TOWN_REVIEWER, city.north)
        north_supervisor = make_user(Role.SUPERVISOR, city.north)
        south_reviewer = make_user(Role.TOWN_REVIEWER, city.south)
        city_admin = make_user(Role.CITY_ADMIN, city.city)
        nobody = make_user()

    return People


def _offline_payment(donor, line, amount="300"):
    """A money pledge with an offline payment waiting, made through the services."""
    offline = pytest.importorskip("marketplace.payments.offline")
    payments_services = pytest.importorskip("marketplace.payments.services")
    pledge = services.pledge_create(donor=donor, line=line, quantity=Decimal(amount))
    payment = payments_services.payment_start(pledge=pledge, provider_id=offline.IDENTIFIER)
    base.get(offline.IDENTIFIER).start(payment, request=None)
    payment.refresh_from_db()
    return payment


# --- The list and the page --------------------------------------------------------------


def test_the_list_shows_listings_in_scope_with_pledge_counts(
    client, staff, listing, money_line, make_user
):
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    goods = services.pledge_create(
        donor=make_user(), line=listing.lines.get(kind="goods"), quantity=Decimal("1")
    )
    services.pledge_confirm(pledge=goods)
    client.force_login(staff.north_station)
    response = client.get(reverse("marketplace:staff_list"))
    assert response.status_code == 200
    row = next(r for r in response.context["page"] if r.pk == listing.pk)
    assert (row.pending_count, row.confirmed_count) == (2, 1)


def test_the_list_filters_by_status(client, staff, listing):
    client.force_login(staff.north_reviewer)
    url = reverse("marketplace:staff_list")
    assert listing.reference in client.get(url + "?status=open").content.decode()
    assert listing.reference not in client.get(url + "?status=cancelled").content.decode()


def test_other_areas_do_not_see_the_listing(client, staff, listing):
    client.force_login(staff.south_reviewer)
    assert listing.reference not in client.get(reverse("marketplace:staff_list")).content.decode()
    assert client.get(reverse("marketplace:staff_detail", args=[listing.pk])).status_code == 404


def test_a_user_without_a_staff_role_gets_404(client, staff, listing):
    client.force_login(staff.nobody)
    assert client.get(reverse("marketplace:staff_list")).status_code == 404
    assert client.get(reverse("marketplace:staff_detail", args=[listing.pk])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, listing):
    response = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_shows_claims_pledges_donors_and_payments(
    client, staff, listing, money_line, make_user, english
):
    donor = make_user(email="giver@example.org", display_name="李女士")
    services.claim_create(donor=donor, listing=listing, anonymous=True)
    payment = _offline_payment(donor, money_line, "1200")
    client.force_login(staff.north_reviewer)
    response = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "giver@example.org" in page and "李女士" in page  # staff may see donors
    assert payment.pledge.reference in page and payment.external_id in page
    assert "Cancel the listing" in page and "Extend the deadline" in page
    assert reverse("marketplace:staff_offline_confirm", args=[payment.pk]) in page


def test_a_supervisor_reads_but_gets_no_action_forms(client, staff, listing, money_line, make_user):
    payment = _offline_payment(make_user(), money_line)
    client.force_login(staff.north_supervisor)
    page = client.get(reverse("marketplace:staff_detail", args=[listing.pk])).content.decode()
    assert reverse("marketplace:staff_cancel", args=[listing.pk]) not in page
    assert reverse("marketplace:staff_extend", args=[listing.pk]) not in page
    assert reverse("marketplace:staff_offline_confirm", args=[payment.pk]) not in page


# --- Cancel -----------------------------------------------------------------------------


def test_a_reviewer_cancels_a_listing_with_a_reason(client, staff, listing, money_line, make_user):
    claimant = make_user()
    claim = services.claim_create(donor=claimant, listing=listing)
    pledge = services.pledge_create(donor=claimant, line=money_line, quantity=Decimal("100"))
    client.force_login(staff.north_reviewer)
    response = client.post(
        reverse("marketplace:staff_cancel", args=[listing.pk]), {"reason": "家庭已获政府救助"}
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    claim.refresh_from_db()
    pledge.refresh_from_db()
    assert listing.status == ListingStatus.CANCELLED
    assert claim.status == ClaimStatus.RELEASED and pledge.status == PledgeStatus.CANCELLED
    event = AuditEvent.objects.get(verb="listing.cancel")
    assert event.actor == staff.north_reviewer and event.reason == "家庭已获政府救助"


def test_cancel_without_a_reason_is_400_and_changes_nothing(client, staff, listing, english):
    client.force_login(staff.north_reviewer)
    response = client.post(reverse("marketplace:staff_cancel", args=[listing.pk]), {"reason": " "})
    assert response.status_code == 400
    assert "Please give a reason." in response.content.decode()
    listing.refresh_from_db()
    assert listing.status == ListingStatus.OPEN


@pytest.mark.parametrize("who", ["north_station", "north_supervisor", "south_reviewer", "nobody"])
def test_cancel_by_anyone_else_is_404(client, staff, listing, who):
    client.force_login(getattr(staff, who))
    response = client.post(reverse("marketplace:staff_cancel", args=[listing.pk]), {"reason": "x"})
    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.status == ListingStatus.OPEN


def test_cancelling_refunds_card_money_after_commit(
    client,
    staff,
    listing,
    money_line,
    make_user,
    fake_providers,
    django_capture_on_commit_callbacks,
):
    payments_services = pytest.importorskip("marketplace.payments.services")
    _, card = fake_providers
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("500"))
    payment = payments_services.payment_start(pledge=pledge, provider_id="fake_card")
    payments_services.payment_succeeded(payment=payment, external_id="cs_1")
    client.force_login(staff.north_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("marketplace:staff_cancel", args=[listing.pk]), {"reason": "重复求助"}
        )
    assert response.status_code == 302
    payment.refresh_from_db()
    pledge.refresh_from_db()
    money_line.refresh_from_db()
    assert card.refunded == [payment.pk] and payment.status == PaymentStatus.REFUNDED
    assert pledge.status == PledgeStatus.REFUNDED and money_line.confirmed == 0
    assert Listing.objects.get(pk=listing.pk).status == ListingStatus.CANCELLED


# --- Extend -----------------------------------------------------------------------------


def test_a_reviewer_extends_the_deadline(client, staff, listing):
    new = (listing.deadline or timezone.localdate()) + timedelta(days=30)
    client.force_login(staff.north_reviewer)
    response = client.post(
        reverse("marketplace:staff_extend", args=[listing.pk]),
        {"deadline": new.isoformat(), "reason": "还差一点"},
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.deadline == new
    event = AuditEvent.objects.get(verb="listing.extend")
    assert event.reason == "还差一点" and event.data["to"] == new.isoformat()


@pytest.mark.parametrize(
    ("case", "days", "reason", "message"),
    [
        ("past", -1, "x", "The new deadline cannot be in the past."),
        ("no reason", 30, "", "Please give a reason."),
        ("not a date", None, "x", "Enter a valid date."),
    ],
)
def test_a_bad_extension_is_400_with_the_input_kept(
    client, staff, listing, english, case, days, reason, message
):
    value = (timezone.localdate() + timedelta(days=days)).isoformat() if days else "明天"
    client.force_login(staff.north_reviewer)
    response = client.post(
        reverse("marketplace:staff_extend", args=[listing.pk]),
        {"deadline": value, "reason": reason},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and f'value="{value}"' in page
    old = listing.deadline
    listing.refresh_from_db()
    assert listing.deadline == old


def test_an_earlier_deadline_is_refused_by_the_service(client, staff, listing, english):
    Listing.objects.filter(pk=listing.pk).update(deadline=timezone.localdate() + timedelta(days=60))
    client.force_login(staff.north_reviewer)
    response = client.post(
        reverse("marketplace:staff_extend", args=[listing.pk]),
        {"deadline": (timezone.localdate() + timedelta(days=10)).isoformat(), "reason": "x"},
    )
    assert response.status_code == 400
    assert "must be later than the current one" in response.content.decode()


def test_extend_by_a_station_is_404(client, staff, listing):
    client.force_login(staff.north_station)
    response = client.post(
        reverse("marketplace:staff_extend", args=[listing.pk]),
        {"deadline": (timezone.localdate() + timedelta(days=90)).isoformat(), "reason": "x"},
    )
    assert response.status_code == 404


# --- Offline payments -------------------------------------------------------------------


def test_the_station_confirms_an_offline_payment(client, staff, listing, money_line, make_user):
    payment = _offline_payment(make_user(), money_line, "1200")
    client.force_login(staff.north_station)
    response = client.post(
        reverse("marketplace:staff_offline_confirm", args=[payment.pk]),
        {"receipt_number": "现金-0042"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("marketplace:staff_detail", args=[listing.pk])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.receipt_number == "现金-0042"
    assert payment.confirmed_by == staff.north_station and payment.receipt.number
    listing.refresh_from_db()
    assert listing.lines.get(kind="money").confirmed == Decimal("1200.00")


def test_a_blank_receipt_number_is_400(client, staff, money_line, make_user, english):
    payment = _offline_payment(make_user(), money_line)
    client.force_login(staff.north_reviewer)
    response = client.post(
        reverse("marketplace:staff_offline_confirm", args=[payment.pk]), {"receipt_number": "  "}
    )
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize("who", ["north_supervisor", "south_reviewer", "nobody"])
def test_offline_confirmation_by_anyone_else_is_404(client, staff, money_line, make_user, who):
    payment = _offline_payment(make_user(), money_line)
    client.force_login(getattr(staff, who))
    response = client.post(
        reverse("marketplace:staff_offline_confirm", args=[payment.pk]), {"receipt_number": "1"}
    )
    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_card_payment_cannot_be_confirmed_by_hand(
    client, staff, money_line, make_user, fake_providers
):
    payments_services = pytest.importorskip("marketplace.payments.services")
    pledge = services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("50"))
    payment = payments_services.payment_start(pledge=pledge, provider_id="fake_card")
    client.force_login(staff.north_reviewer)
    response = client.post(
        reverse("marketplace:staff_offline_confirm", args=[payment.pk]), {"receipt_number": "1"}
    )
    assert response.status_code == 404
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.CREATED
