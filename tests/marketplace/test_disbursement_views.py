"""Payout pages: the money section of a listing's staff page, asking for a payout,
confirming delivery, and the fund managers' approval queue.

Money is set up the way it arrives: pledges paid through the offline provider (escrow),
goods and service confirmed by staff, delivery confirmed; every payout goes through the
views, and the ledger is checked to balance after.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import Role
from marketplace import funds, ledger, services, staff_services
from marketplace.models import (
    Account,
    Disbursement,
    DisbursementStatus,
    Listing,
    ListingStatus,
    PayeeKind,
    Payment,
)
from marketplace.payments.services import payment_refund
from marketplace.views.listing_money import label_payouts
from tests.marketplace import giving_fixtures
from tests.marketplace.funds_helpers import assert_ledger_consistent
from tests.marketplace.money import pay
from tests.marketplace.test_browse import publish

pytestmark = pytest.mark.django_db

site = giving_fixtures.site

ACCOUNT = "6222020200112233445"  # 19 digits, like a debit card
SUPPLIER = "东莞市康复器材有限公司"


@pytest.fixture
def staff(city, make_user):
    """Who is who around the north listing."""

    class People:
        north_station = make_user(Role.STATION_STAFF, city.north_a)
        north_reviewer = make_user(Role.TOWN_REVIEWER, city.north)
        north_reviewer_2 = make_user(Role.TOWN_REVIEWER, city.north)
        north_supervisor = make_user(Role.SUPERVISOR, city.north)
        south_reviewer = make_user(Role.TOWN_REVIEWER, city.south)
        south_station = make_user(Role.STATION_STAFF, city.south_a)
        city_admin = make_user(Role.CITY_ADMIN, city.city)
        nobody = make_user()

    return People


def fully_pledge(listing: Listing, make_user) -> Listing:
    """Pledge every line to its target: money paid, goods and service confirmed."""
    for line in listing.lines.order_by("pk"):
        pledge = services.pledge_create(donor=make_user(), line=line, quantity=line.target)
        if line.kind == "money":
            pay(pledge)
        else:
            services.pledge_confirm(pledge=pledge)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED
    return listing


def deliver(listing: Listing, make_user, actor) -> Listing:
    fully_pledge(listing, make_user)
    return staff_services.listing_delivered(actor=actor, listing=listing, note="轮椅已送到")


def escrow_balance(listing: Listing) -> Decimal:
    return Account.objects.get(listing=listing).balance


def _request(client, listing, **data):
    values = {"amount": "1200.00", "payee_kind": PayeeKind.SUPPLIER, "payee_name": SUPPLIER}
    values.update(data)
    return client.post(reverse("marketplace:disbursement_request", args=[listing.pk]), values)


def _approve(client, disbursement, reference="ICBC-20260501-001"):
    return client.post(
        reverse("marketplace:disbursement_approve", args=[disbursement.pk]),
        {"payment_reference": reference},
    )


def _reject(client, disbursement, reason="发票不全"):
    return client.post(
        reverse("marketplace:disbursement_reject", args=[disbursement.pk]), {"reason": reason}
    )


# --- The money section ------------------------------------------------------------------


def test_the_money_section_shows_the_escrow_and_the_forms(
    client, site, staff, listing, make_user, english
):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    response = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["escrow"].balance == Decimal("1200.00")
    assert response.context["escrow"].free == Decimal("1200.00")
    assert "¥1,200.00" in page
    assert "Request a payout" in page
    assert response.context["delivery_url"] is None  # delivered already
    assert "stage" not in response.context["payout_form"].fields  # a wish pays no stages


def test_a_supervisor_sees_the_money_but_no_form(client, site, staff, listing, make_user):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_supervisor)
    response = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    assert response.status_code == 200
    assert response.context["escrow"].balance == Decimal("1200.00")
    assert response.context["payout_form"] is None
    assert response.context["delivery_url"] is None


def test_a_project_is_paid_in_stages_while_open(client, site, staff, city, make_user):
    project = publish(city.north_a, kind="project", money="5000.00")
    pay(services.pledge_create(donor=make_user(), line=project.lines.get(), quantity=Decimal(800)))
    client.force_login(staff.north_station)
    page = client.get(reverse("marketplace:staff_detail", args=[project.pk]))
    assert "stage" in page.context["payout_form"].fields
    response = _request(
        client, project, amount="500", payee_kind=PayeeKind.CONTRACTOR, stage="第一期：材料"
    )
    assert response.status_code == 302
    disbursement = Disbursement.objects.get(listing=project)
    assert (disbursement.stage, disbursement.amount) == ("第一期：材料", Decimal("500.00"))


# --- Request, approve, reject -----------------------------------------------------------


def test_request_then_approve_pays_from_the_escrow(client, site, staff, listing, make_user):
    deliver(listing, make_user, staff.north_station)
    payouts_before = ledger.world(ledger.PAYOUTS).ledger_balance()
    client.force_login(staff.north_station)
    response = _request(client, listing)
    assert response.status_code == 302
    assert response.url == reverse("marketplace:staff_detail", args=[listing.pk])
    disbursement = Disbursement.objects.get(listing=listing)
    assert disbursement.status == DisbursementStatus.REQUESTED
    assert disbursement.requested_by == staff.north_station
    assert funds.escrow_free(listing) == 0
    assert escrow_balance(listing) == Decimal("1200.00")  # nothing moved yet

    client.force_login(staff.north_reviewer)
    queue = client.get(reverse("marketplace:disbursements"))
    assert [d.pk for d in queue.context["page"]] == [disbursement.pk]
    assert queue.context["page"][0].approve_form is not None
    response = _approve(client, disbursement)
    assert response.status_code == 302
    disbursement.refresh_from_db()
    assert disbursement.status == DisbursementStatus.PAID
    assert disbursement.decided_by == staff.north_reviewer
    assert disbursement.payment_reference == "ICBC-20260501-001"
    assert escrow_balance(listing) == 0
    assert ledger.world(ledger.PAYOUTS).ledger_balance() - payouts_before == Decimal("1200.00")
    assert disbursement.transaction.external_reference == "ICBC-20260501-001"
    assert_ledger_consistent()

    page = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    assert page.context["escrow"].paid_out == Decimal("1200.00")
    assert page.context["escrow"].balance == 0
    assert "ICBC-20260501-001" in page.content.decode()


def test_reject_keeps_the_money_in_the_escrow(client, site, staff, listing, make_user):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    _request(client, listing, amount="700")
    disbursement = Disbursement.objects.get(listing=listing)
    client.force_login(staff.north_reviewer)
    response = _reject(client, disbursement)
    assert response.status_code == 302
    disbursement.refresh_from_db()
    assert (disbursement.status, disbursement.reason) == (DisbursementStatus.REJECTED, "发票不全")
    assert escrow_balance(listing) == Decimal("1200.00")
    assert funds.escrow_free(listing) == Decimal("1200.00")
    # The decision is listed after the waiting ones, with its reason, and no forms.
    queue = client.get(reverse("marketplace:disbursements"))
    row = queue.context["page"][0]
    assert (row.pk, row.approve_form, row.reject_form) == (disbursement.pk, None, None)
    assert "发票不全" in queue.content.decode()


def test_the_requester_cannot_approve_their_own_payout(
    client, site, staff, listing, make_user, english
):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_reviewer)
    _request(client, listing)
    disbursement = Disbursement.objects.get(listing=listing)
    queue = client.get(reverse("marketplace:disbursements"))
    row = queue.context["page"][0]
    assert row.approve_form is None and row.reject_form is not None
    assert "another fund manager approves it" in queue.content.decode()
    response = _approve(client, disbursement, reference="MY-OWN-REF-77")
    assert response.status_code == 403
    page = response.content.decode()
    assert "must be approved by someone other than the person who requested it" in page
    assert "MY-OWN-REF-77" in page  # what was typed is kept
    disbursement.refresh_from_db()
    assert disbursement.status == DisbursementStatus.REQUESTED
    assert escrow_balance(listing) == Decimal("1200.00")
    # Another fund manager of the town may.
    client.force_login(staff.north_reviewer_2)
    assert _approve(client, disbursement).status_code == 302


def test_approving_more_than_the_escrow_holds_is_refused(
    client, site, staff, listing, make_user, english
):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    _request(client, listing)
    disbursement = Disbursement.objects.get(listing=listing)
    # The donor's money went back meanwhile (handed back at the station).
    payment = Payment.objects.get(pledge__line__listing=listing)
    payment_refund(
        payment=payment, actor=staff.city_admin, reason="捐赠人撤回", refund_reference="RF-1"
    )
    assert escrow_balance(listing) == 0
    client.force_login(staff.north_reviewer)
    response = _approve(client, disbursement)
    assert response.status_code == 409
    assert "escrow holds only ¥0.00, less than this payout" in response.content.decode()
    disbursement.refresh_from_db()
    assert disbursement.status == DisbursementStatus.REQUESTED
    assert_ledger_consistent()


def test_asking_for_more_than_is_free_is_refused(client, site, staff, listing, make_user, english):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    assert _request(client, listing, amount="1000").status_code == 302
    response = _request(client, listing, amount="300", payee_name="另一家供应商")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Only ¥200.00 is free to pay out" in page
    assert "另一家供应商" in page
    assert Disbursement.objects.filter(listing=listing).count() == 1


def test_a_wish_not_yet_delivered_cannot_be_paid_out(
    client, site, staff, listing, money_line, make_user, english
):
    pay(services.pledge_create(donor=make_user(), line=money_line, quantity=Decimal("500")))
    client.force_login(staff.north_station)
    page = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    assert page.context["escrow"].balance == Decimal("500.00")
    assert page.context["payout_form"] is None
    response = _request(client, listing, amount="500")
    assert response.status_code == 409
    assert "once its delivery is confirmed" in response.content.decode()
    assert not Disbursement.objects.exists()


# --- Confirming delivery ------------------------------------------------------------------


def test_the_staff_page_sends_station_staff_to_the_delivery_log(
    client, site, staff, listing, make_user
):
    """Delivery is logged, with evidence, by the station (``stations:listing_delivery``);
    the money page only points there, and pays out once the log has delivered it."""
    fully_pledge(listing, make_user)
    client.force_login(staff.north_station)
    page = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    assert page.context["delivery_url"] == reverse("stations:listing_delivery", args=[listing.pk])
    assert page.context["payout_form"] is None  # not before delivery
    # A town reviewer manages the money but does not log deliveries.
    client.force_login(staff.north_reviewer)
    page = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    assert page.status_code == 200 and page.context["delivery_url"] is None


# --- Permissions --------------------------------------------------------------------------


def test_station_staff_may_request_but_not_approve(client, site, staff, listing, make_user):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    assert _request(client, listing).status_code == 302
    disbursement = Disbursement.objects.get()
    assert client.get(reverse("marketplace:disbursements")).status_code == 404
    assert _approve(client, disbursement).status_code == 404
    assert _reject(client, disbursement).status_code == 404
    disbursement.refresh_from_db()
    assert disbursement.status == DisbursementStatus.REQUESTED


def test_another_town_gets_404(client, site, staff, listing, make_user):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    _request(client, listing)
    disbursement = Disbursement.objects.get()
    for user in (staff.south_reviewer, staff.south_station):
        client.force_login(user)
        assert _request(client, listing).status_code == 404
        assert _approve(client, disbursement).status_code == 404
        assert _reject(client, disbursement).status_code == 404
    client.force_login(staff.south_reviewer)
    queue = client.get(reverse("marketplace:disbursements"))
    assert queue.status_code == 200
    assert list(queue.context["page"]) == []
    disbursement.refresh_from_db()
    assert disbursement.status == DisbursementStatus.REQUESTED


def test_readers_and_strangers_may_not_act(client, site, staff, listing, make_user):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    _request(client, listing)
    disbursement = Disbursement.objects.get()
    for user in (staff.north_supervisor, staff.nobody):
        client.force_login(user)
        assert _request(client, listing).status_code == 404
        assert client.get(reverse("marketplace:disbursements")).status_code == 404
        assert _approve(client, disbursement).status_code == 404
    client.logout()
    response = client.get(reverse("marketplace:disbursements"))
    assert response.status_code == 302 and "login" in response.url
    assert Disbursement.objects.get().status == DisbursementStatus.REQUESTED


def test_a_city_administrator_approves_anywhere_in_the_city(
    client, site, staff, listing, make_user
):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    _request(client, listing)
    client.force_login(staff.city_admin)
    assert _approve(client, Disbursement.objects.get()).status_code == 302


# --- Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "0"}, "Enter an amount above zero."),
        ({"amount": "-5"}, "Enter an amount above zero."),
        ({"amount": "十元"}, "Enter a number."),
        ({"payee_kind": "", "payee_name": "某供应商"}, "This field is required."),
        ({"payee_name": ""}, "Name the supplier or contractor to be paid."),
        (
            {"payee_kind": PayeeKind.RECIPIENT, "payee_name": ""},
            "Give the recipient&#x27;s bank account to pay them.",
        ),
        (
            {"payee_kind": PayeeKind.RECIPIENT, "recipient_account": "12ab"},
            "Enter the bank account number",
        ),
    ],
)
def test_bad_payout_requests_are_400_with_the_input_kept(
    client, site, staff, listing, make_user, english, data, message
):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    response = _request(client, listing, **data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    for value in data.values():
        if value and value not in PayeeKind.values:
            assert value in page  # what was typed is still there
    assert not Disbursement.objects.exists()


def test_approve_needs_a_reference_and_reject_a_reason(
    client, site, staff, listing, make_user, english
):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    _request(client, listing)
    disbursement = Disbursement.objects.get()
    client.force_login(staff.north_reviewer)
    response = _approve(client, disbursement, reference="   ")
    assert response.status_code == 400
    assert "Give the payment reference of the transfer." in response.content.decode()
    response = _reject(client, disbursement, reason="")
    assert response.status_code == 400
    assert "Please give a reason." in response.content.decode()
    disbursement.refresh_from_db()
    assert disbursement.status == DisbursementStatus.REQUESTED
    assert escrow_balance(listing) == Decimal("1200.00")


def test_a_decided_payout_cannot_be_decided_again(client, site, staff, listing, make_user, english):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    _request(client, listing)
    disbursement = Disbursement.objects.get()
    client.force_login(staff.north_reviewer)
    assert _reject(client, disbursement).status_code == 302
    response = _approve(client, disbursement)
    assert response.status_code == 409
    assert "This cannot be done while it is Not approved." in response.content.decode()
    assert escrow_balance(listing) == Decimal("1200.00")


# --- Privacy --------------------------------------------------------------------------------


def test_the_recipients_account_is_never_shown_in_full(client, site, staff, listing, make_user):
    deliver(listing, make_user, staff.north_station)
    client.force_login(staff.north_station)
    response = _request(
        client, listing, payee_kind=PayeeKind.RECIPIENT, payee_name="", recipient_account=ACCOUNT
    )
    assert response.status_code == 302
    disbursement = Disbursement.objects.get()
    assert disbursement.recipient_account == ACCOUNT
    assert disbursement.payee_name == ""
    staff_page = client.get(reverse("marketplace:staff_detail", args=[listing.pk]))
    text = staff_page.content.decode()
    assert "•••• 3445" in text
    assert ACCOUNT not in text and ACCOUNT[:-4] not in text
    client.force_login(staff.north_reviewer)
    queue = client.get(reverse("marketplace:disbursements")).content.decode()
    assert "•••• 3445" in queue and ACCOUNT not in queue
    _approve(client, disbursement)
    # Public pages: not the account, not even its last digits, and never a name.
    client.logout()
    for url in (
        reverse("marketplace:list"),
        reverse("marketplace:detail", args=[listing.reference]),
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert ACCOUNT not in page.content.decode()
        assert "3445" not in page.content.decode()
    # Nor in the audit trail or the ledger's memo.
    for event in AuditEvent.objects.all():
        assert ACCOUNT not in f"{event.data} {event.reason} {event.target_label}"
    assert ACCOUNT not in Disbursement.objects.get().transaction.memo


def test_without_private_view_not_even_the_last_digits(city, make_user, listing, staff):
    disbursement = Disbursement(
        listing=listing,
        amount=Decimal("10"),
        payee_kind=PayeeKind.RECIPIENT,
        recipient_account=ACCOUNT,
        requested_by=staff.north_station,
    )
    label_payouts(make_user(), [disbursement], city.north_a)
    assert disbursement.account_masked == ""
    assert disbursement.payee_label == str(PayeeKind.RECIPIENT.label)
    label_payouts(staff.north_station, [disbursement], city.north_a)
    assert disbursement.account_masked == "•••• 3445"


# --- Query counts ---------------------------------------------------------------------------


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


def _funded_project(city, make_user, amount="2000"):
    project = publish(city.north_a, kind="project", money="100000.00")
    pay(
        services.pledge_create(
            donor=make_user(), line=project.lines.get(), quantity=Decimal(amount)
        )
    )
    return project


def test_queue_query_count(client, site, staff, city, make_user, django_assert_num_queries):
    station, reviewer = staff.north_station, staff.north_reviewer

    def payouts(n):
        for i in range(n):
            project = _funded_project(city, make_user)
            for kind, extra in (
                (PayeeKind.SUPPLIER, {"payee_name": SUPPLIER}),
                (PayeeKind.RECIPIENT, {"recipient_account": ACCOUNT}),
            ):
                d = funds.disbursement_request(
                    actor=station, listing=project, amount=Decimal("100"), payee_kind=kind, **extra
                )
            if i % 2:
                funds.disbursement_approve(actor=reviewer, disbursement=d, payment_reference="R")

    payouts(2)
    client.force_login(reviewer)
    # session, user, roles, count, page (with listing, community, requester, decider,
    # escrow) + frame 3
    _assert_constant(
        client,
        reverse("marketplace:disbursements"),
        8,
        lambda: payouts(4),
        django_assert_num_queries,
    )
    _assert_constant(
        client,
        reverse("marketplace:disbursements") + "?status=requested",
        8,
        lambda: payouts(2),
        django_assert_num_queries,
    )


def test_listing_detail_query_count_with_payouts(
    client, site, staff, city, make_user, django_assert_num_queries
):
    project = _funded_project(city, make_user, amount="50000")

    def grow():
        for i in range(4):
            d = funds.disbursement_request(
                actor=staff.north_station,
                listing=project,
                amount=Decimal("100"),
                payee_kind=PayeeKind.RECIPIENT if i % 2 else PayeeKind.SUPPLIER,
                payee_name=SUPPLIER,
                recipient_account=ACCOUNT,
            )
            if i % 2:
                funds.disbursement_approve(
                    actor=staff.north_reviewer, disbursement=d, payment_reference=f"R{i}"
                )
            else:
                funds.disbursement_reject(actor=staff.north_reviewer, disbursement=d, reason="否")

    client.force_login(staff.north_reviewer_2)
    # session, user, roles, listing, claims, pledges, payments, lines, escrow with its
    # flows, payouts + frame 3
    _assert_constant(
        client,
        reverse("marketplace:staff_detail", args=[project.pk]),
        13,
        grow,
        django_assert_num_queries,
    )
