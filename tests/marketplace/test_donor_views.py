"""The donor's pages: claim, pledge (with the clip confirmation), pay, follow, cancel, release,
receipts; bad input answered 400 with the input kept; rate limits; another donor's is a 404.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Membership
from marketplace import services
from marketplace.models import (
    Claim,
    ClaimStatus,
    Payment,
    PaymentStatus,
    Pledge,
    PledgeStatus,
)
from tests.accounts.factories import OrganisationFactory
from tests.marketplace import giving_fixtures

pytestmark = pytest.mark.django_db

# Fixtures shared with the staff tests.
fake_providers = giving_fixtures.fake_providers
_empty_rate_limits = giving_fixtures._empty_rate_limits


@pytest.fixture
def donor(make_user):
    return make_user(email="donor@example.org", display_name="王先生")


@pytest.fixture
def signed_in(client, donor):
    client.force_login(donor)
    return client


def _pledge_url(listing):
    return reverse("marketplace:pledge", args=[listing.reference])


def _post_pledge(client, listing, line, quantity, **extra):
    data = {"line": line.pk, "quantity": quantity, **extra}
    return client.post(_pledge_url(listing), data)


def _succeed(payment, **kwargs):
    payments_services = pytest.importorskip("marketplace.payments.services")
    return payments_services.payment_succeeded(payment=payment, **kwargs)


# --- Claiming ---------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client, listing, english):
    url = reverse("marketplace:claim", args=[listing.reference])
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Claim.objects.exists()


def test_a_donor_claims_a_listing_and_is_sent_to_pledge_its_lines(signed_in, donor, listing):
    url = reverse("marketplace:claim", args=[listing.reference])
    assert signed_in.get(url).status_code == 200
    response = signed_in.post(url, {"anonymous": "on"})
    assert response.status_code == 302 and response["Location"] == _pledge_url(listing)
    claim = Claim.objects.get()
    assert claim.donor == donor and claim.anonymous and claim.status == ClaimStatus.ACTIVE
    assert AuditEvent.objects.filter(verb="claim.create", actor=donor).exists()


def test_a_donor_claims_for_their_organisation_only(signed_in, donor, listing, city):
    mine, other = OrganisationFactory(region=city.north_a), OrganisationFactory(region=city.north_a)
    Membership.objects.create(organisation=mine, user=donor)
    url = reverse("marketplace:claim", args=[listing.reference])
    response = signed_in.post(url, {"organisation": other.pk})
    assert response.status_code == 400 and not Claim.objects.exists()
    response = signed_in.post(url, {"organisation": mine.pk})
    assert response.status_code == 302 and Claim.objects.get().organisation == mine


def test_a_claimed_listing_answers_409_with_the_message(client, make_user, listing, english):
    services.claim_create(donor=make_user(), listing=listing)
    client.force_login(make_user())
    response = client.post(reverse("marketplace:claim", args=[listing.reference]))
    assert response.status_code == 409
    assert "Someone has already claimed this need" in response.content.decode()
    assert Claim.objects.count() == 1


def test_a_partly_pledged_listing_cannot_be_claimed(
    client, make_user, listing, money_line, english
):
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("100"))
    client.force_login(make_user())
    response = client.post(reverse("marketplace:claim", args=[listing.reference]))
    assert response.status_code == 409
    assert "Others have already pledged part of this need" in response.content.decode()


def test_an_unknown_or_cancelled_listing_is_404(signed_in, listing):
    assert signed_in.post(reverse("marketplace:claim", args=["L0000-NOPE"])).status_code == 404
    type(listing).objects.filter(pk=listing.pk).update(status="cancelled")
    assert signed_in.post(reverse("marketplace:claim", args=[listing.reference])).status_code == 404
    assert signed_in.get(_pledge_url(listing)).status_code == 404


def test_a_closed_listing_answers_409_not_500(signed_in, listing, english):
    type(listing).objects.filter(pk=listing.pk).update(status="delivered")
    response = signed_in.post(reverse("marketplace:claim", args=[listing.reference]))
    assert response.status_code == 409
    assert "no longer open" in response.content.decode()


# --- Pledging ---------------------------------------------------------------------------


def test_the_pledge_form_shows_what_is_still_needed(signed_in, make_user, listing, money_line):
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("200"))
    response = signed_in.get(_pledge_url(listing) + f"?line={money_line.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "¥1,000.00" in page and "¥1,200.00" in page  # still needed, needed
    assert f'value="{money_line.pk}"' in page


def test_a_money_pledge_goes_on_to_payment(signed_in, donor, listing, money_line):
    response = _post_pledge(signed_in, listing, money_line, "300", anonymous="on")
    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("marketplace:pledge_pay", args=[pledge.pk])
    assert pledge.donor == donor and pledge.quantity == Decimal("300.00") and pledge.anonymous


def test_a_goods_pledge_shows_the_next_steps(signed_in, listing, english):
    goods = listing.lines.get(kind="goods")
    response = _post_pledge(signed_in, listing, goods, "1")
    pledge = Pledge.objects.get()
    assert response["Location"] == reverse("marketplace:pledge_detail", args=[pledge.pk])
    page = signed_in.get(response["Location"]).content.decode()
    assert "drop the goods off at the station" in page
    assert listing.station.address in page


def test_a_service_pledge_says_the_station_will_arrange_the_date(signed_in, listing, english):
    service = listing.lines.get(kind="service")
    response = _post_pledge(signed_in, listing, service, "2.5")
    page = signed_in.get(response["Location"]).content.decode()
    assert "The station will contact you to arrange a date" in page
    assert Pledge.objects.get().quantity == Decimal("2.50")


def test_too_much_asks_to_confirm_the_clipped_amount_keeping_the_input(
    signed_in, donor, make_user, listing, money_line, english
):
    services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("1000"))
    response = _post_pledge(signed_in, listing, money_line, "500", anonymous="on")
    assert response.status_code == 200 and Pledge.objects.count() == 1
    page = response.content.decode()
    assert "Only ¥200.00 is still needed — pledge ¥200.00?" in page
    assert 'name="accept_clipped" value="1"' in page
    assert 'name="quantity" value="500"' in page  # what the donor typed is kept
    assert 'name="quantity" value="200.00"' in page  # what the confirmation pledges
    # The donor confirms.
    response = _post_pledge(
        signed_in, listing, money_line, "200.00", anonymous="on", accept_clipped="1"
    )
    assert response.status_code == 302
    pledge = Pledge.objects.get(donor=donor)
    assert pledge.quantity == Decimal("200.00") and pledge.anonymous


def test_goods_clip_confirmation_speaks_in_items(signed_in, make_user, listing, english):
    goods = listing.lines.get(kind="goods")
    response = _post_pledge(signed_in, listing, goods, "3")
    assert "Only 1 is still needed — pledge 1?" in response.content.decode()


BAD_AMOUNTS = [
    ("negative", "-50", "greater than or equal to 0.01"),
    ("zero", "0", "greater than or equal to 0.01"),
    ("absurd", "1e15", "no more than 12 digits"),
    ("absurd, written out", "99999999.99", "less than or equal to 10000000"),
    ("not a number", "一千", "Enter a number."),
    ("empty", "", "This field is required."),
]


@pytest.mark.parametrize(("case", "value", "message"), BAD_AMOUNTS, ids=[c[0] for c in BAD_AMOUNTS])
def test_a_bad_amount_is_400_with_a_message_and_the_input_kept(
    signed_in, listing, money_line, english, case, value, message
):
    response = _post_pledge(signed_in, listing, money_line, value, anonymous="on")
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'value="{value}"' in page if value else True
    assert 'id="id_anonymous" checked' in page
    assert not Pledge.objects.exists()


def test_bad_input_is_answered_in_chinese_by_default(signed_in, listing, money_line):
    response = _post_pledge(signed_in, listing, money_line, "一千")
    assert response.status_code == 400
    assert "输入一个数字" in response.content.decode()


def test_below_the_minimum_is_400_with_the_services_message(
    signed_in, listing, money_line, english
):
    response = _post_pledge(signed_in, listing, money_line, "5")
    assert response.status_code == 400
    assert "The smallest money pledge is ¥10." in response.content.decode()


def test_half_a_wheelchair_is_refused(signed_in, listing, english):
    response = _post_pledge(signed_in, listing, listing.lines.get(kind="goods"), "0.5")
    assert response.status_code == 400
    assert "Goods are given in whole items." in response.content.decode()


def test_a_line_of_another_listing_is_not_a_choice(signed_in, listing, make_user, english):
    response = signed_in.post(_pledge_url(listing), {"line": "999999", "quantity": "10"})
    assert response.status_code == 400 and "Select a valid choice." in response.content.decode()


def test_a_claim_by_someone_else_blocks_pledges_with_409(
    client, make_user, listing, money_line, english
):
    services.claim_create(donor=make_user(), listing=listing)
    client.force_login(make_user())
    response = _post_pledge(client, listing, money_line, "100")
    assert response.status_code == 409 and not Pledge.objects.exists()


def test_the_cap_on_open_pledges_answers_429(
    signed_in, donor, listing, money_line, settings, english
):
    settings.MAX_OPEN_PLEDGES_PER_DONOR = 2
    for _ in range(2):
        services.pledge_create(donor=donor, line=money_line, quantity=Decimal("10"))
    response = _post_pledge(signed_in, listing, money_line, "10")
    assert response.status_code == 429
    assert "pledges waiting for payment" in response.content.decode()


# --- Rate limits ------------------------------------------------------------------------


def test_pledges_are_limited_per_user(signed_in, listing, money_line, settings, english):
    settings.MAX_OPEN_PLEDGES_PER_DONOR = 100
    for _ in range(10):
        assert _post_pledge(signed_in, listing, money_line, "10").status_code == 302
    response = _post_pledge(signed_in, listing, money_line, "10")
    assert response.status_code == 429
    assert "You are doing that too often" in response.content.decode()
    assert Pledge.objects.count() == 10


def test_claims_and_pledges_share_the_users_limit(
    signed_in, listing, money_line, settings, english
):
    settings.MAX_OPEN_PLEDGES_PER_DONOR = 100
    for _ in range(9):
        _post_pledge(signed_in, listing, money_line, "10")
    claim_url = reverse("marketplace:claim", args=[listing.reference])
    assert signed_in.post(claim_url).status_code == 409  # partly pledged, and counted
    response = signed_in.post(claim_url)
    assert response.status_code == 429


def test_many_users_behind_one_address_are_limited_per_address(
    client, make_user, listing, money_line, settings, english
):
    settings.MAX_OPEN_PLEDGES_PER_DONOR = 100
    statuses = []
    for i in range(31):
        if i % 5 == 0:  # six people, five pledges each: none reaches the per-user limit
            client.force_login(make_user())
        statuses.append(_post_pledge(client, listing, money_line, "10").status_code)
    assert statuses[:30] == [302] * 30 and statuses[30] == 429


def test_the_rate_limit_message_is_translated(signed_in, listing, money_line, settings):
    settings.GIVING_RATE_PER_USER = 0
    response = _post_pledge(signed_in, listing, money_line, "10")
    assert response.status_code == 429 and "太频繁" in response.content.decode()


def test_a_get_is_not_counted(signed_in, listing, settings):
    settings.GIVING_RATE_PER_USER = 1
    for _ in range(5):
        assert signed_in.get(_pledge_url(listing)).status_code == 200


# --- Paying -----------------------------------------------------------------------------


def _money_pledge(donor, money_line, amount="300"):
    return services.pledge_create(donor=donor, line=money_line, quantity=Decimal(amount))


def test_paying_offline_shows_the_reference_code(signed_in, donor, money_line, fake_providers):
    pledge = _money_pledge(donor, money_line)
    url = reverse("marketplace:pledge_pay", args=[pledge.pk])
    page = signed_in.get(url).content.decode()
    assert "Fake transfer" in page and "Fake card" in page
    response = signed_in.post(url, {"provider": "fake_transfer"})
    assert response.status_code == 200
    payment = Payment.objects.get()
    assert payment.pledge == pledge and payment.amount == Decimal("300.00")
    page = response.content.decode()
    assert payment.external_id in page and f"quoting {payment.external_id}" in page


def test_paying_by_card_goes_to_the_provider(signed_in, donor, money_line, fake_providers):
    pledge = _money_pledge(donor, money_line)
    response = signed_in.post(
        reverse("marketplace:pledge_pay", args=[pledge.pk]), {"provider": "fake_card"}
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"https://pay.example.com/checkout/{payment.pk}"


def test_an_unknown_provider_is_400(signed_in, donor, money_line, fake_providers, english):
    pledge = _money_pledge(donor, money_line)
    response = signed_in.post(
        reverse("marketplace:pledge_pay", args=[pledge.pk]), {"provider": "bitcoin"}
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Payment.objects.exists()


def test_an_expired_or_cancelled_pledge_cannot_be_paid(
    signed_in, donor, money_line, fake_providers, english
):
    pledge = _money_pledge(donor, money_line)
    Pledge.objects.filter(pk=pledge.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = signed_in.post(
        reverse("marketplace:pledge_pay", args=[pledge.pk]), {"provider": "fake_card"}
    )
    assert response.status_code == 409 and not Payment.objects.exists()


def test_another_donors_pledge_cannot_be_paid_or_seen(
    client, make_user, money_line, fake_providers
):
    pledge = _money_pledge(make_user(), money_line)
    client.force_login(make_user())
    for name in ("pledge_pay", "pledge_detail"):
        assert client.get(reverse(f"marketplace:{name}", args=[pledge.pk])).status_code == 404
    assert (
        client.post(reverse("marketplace:pledge_pay", args=[pledge.pk]), {"provider": "fake_card"})
    ).status_code == 404


# --- My giving --------------------------------------------------------------------------


def test_my_giving_lists_claims_and_pledges_with_statuses(
    signed_in, donor, listing, money_line, english
):
    claim = services.claim_create(donor=donor, listing=listing)
    lapsed = _money_pledge(donor, money_line, "100")
    Pledge.objects.filter(pk=lapsed.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    waiting = _money_pledge(donor, money_line, "200")
    page = signed_in.get(reverse("marketplace:giving")).content.decode()
    assert listing.title in page and lapsed.reference in page and waiting.reference in page
    assert "Expired" in page and "Pending" in page and "Active" in page
    assert reverse("marketplace:claim_release", args=[claim.pk]) in page
    assert reverse("marketplace:pledge_cancel", args=[waiting.pk]) in page
    # The lapsed pledge (still pending in the table: no job has run) offers no cancel.
    assert reverse("marketplace:pledge_cancel", args=[lapsed.pk]) not in page


def test_my_giving_shows_only_my_own(client, make_user, money_line):
    other = _money_pledge(make_user(), money_line)
    client.force_login(make_user())
    page = client.get(reverse("marketplace:giving")).content.decode()
    assert other.reference not in page


def test_a_donor_cancels_a_pending_pledge(signed_in, donor, money_line):
    pledge = _money_pledge(donor, money_line)
    response = signed_in.post(reverse("marketplace:pledge_cancel", args=[pledge.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("marketplace:giving")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.CANCELLED
    assert services.line_remaining(money_line) == money_line.target


def test_cancel_and_release_are_owner_only(client, make_user, listing, money_line):
    owner = make_user()
    claim = services.claim_create(donor=owner, listing=listing)
    pledge = _money_pledge(owner, money_line)
    client.force_login(make_user())
    assert client.post(reverse("marketplace:pledge_cancel", args=[pledge.pk])).status_code == 404
    assert client.post(reverse("marketplace:claim_release", args=[claim.pk])).status_code == 404
    pledge.refresh_from_db()
    claim.refresh_from_db()
    assert pledge.status == PledgeStatus.PENDING and claim.status == ClaimStatus.ACTIVE


def test_cancel_and_release_want_post(signed_in, donor, listing, money_line):
    claim = services.claim_create(donor=donor, listing=listing)
    pledge = _money_pledge(donor, money_line)
    assert signed_in.get(reverse("marketplace:pledge_cancel", args=[pledge.pk])).status_code == 405
    assert signed_in.get(reverse("marketplace:claim_release", args=[claim.pk])).status_code == 405


def test_a_donor_releases_a_claim_and_the_listing_is_free(signed_in, donor, make_user, listing):
    claim = services.claim_create(donor=donor, listing=listing)
    response = signed_in.post(reverse("marketplace:claim_release", args=[claim.pk]))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RELEASED
    assert services.claim_create(donor=make_user(), listing=listing).status == ClaimStatus.ACTIVE


# --- Receipts ---------------------------------------------------------------------------


def test_a_receipt_is_listed_and_printable_by_its_owner_only(
    client, signed_in, donor, make_user, money_line, fake_providers, english
):
    pledge = _money_pledge(donor, money_line, "300")
    signed_in.post(
        reverse("marketplace:pledge_pay", args=[pledge.pk]), {"provider": "fake_transfer"}
    )
    payment = Payment.objects.get()
    _succeed(payment, receipt_number="BANK-778")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    number = payment.receipt.number
    page = signed_in.get(reverse("marketplace:giving")).content.decode()
    assert number in page and "Confirmed" in page
    response = signed_in.get(reverse("marketplace:receipt", args=[number]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert number in page and "¥300.00" in page and "BANK-778" in page and "王先生" in page
    signed_in.logout()
    client.force_login(make_user())
    assert client.get(reverse("marketplace:receipt", args=[number])).status_code == 404


# --- Public pages -----------------------------------------------------------------------


def test_an_anonymous_pledge_is_shown_publicly_as_anonymous_donor(
    client, signed_in, donor, listing, money_line, english
):
    url = reverse("marketplace:detail", args=[listing.reference])
    _post_pledge(signed_in, listing, money_line, "100", anonymous="on")
    signed_in.logout()
    page = client.get(url).content.decode()
    assert "anonymous donor" in page
    assert donor.email not in page and donor.display_name not in page
