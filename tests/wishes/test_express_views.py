"""Express funding in the wish workspace: a town reviewer pays a published express wish
from a fund they manage (the wish is resolved, money moves fund → payouts), and a direct
wish nobody took by its deadline moves to express funding.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from marketplace import funds, ledger
from marketplace.models import Fund, FundGrant, FundOwner, Listing, ListingStatus, TopUpKind
from tests.marketplace.funds_helpers import assert_ledger_consistent
from tests.wishes.factories import make_wish
from wishes.models import Route, Status, Wish
from wishes.tracking import tracking_token

pytestmark = pytest.mark.django_db

PAYEE = "钱收款人"
ACCOUNT = "6217000011112222333"  # 19 digits


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


def make_fund(actor, region, *, name="北城街道救助金", amount="5000", owner=FundOwner.TOWN) -> Fund:
    fund = funds.fund_create(actor=actor, name=name, owner=owner, region=region)
    if amount:
        funds.fund_top_up(
            actor=actor,
            fund=fund,
            kind=TopUpKind.APPROPRIATION,
            amount=Decimal(amount),
            reference=f"拨款-{name}",
        )
    return fund


@pytest.fixture
def express_wish(city, people) -> Wish:
    """A published express wish of ¥800 at the north station."""
    return make_wish(
        people.north_staff,
        city.north_a,
        status=Status.PUBLISHED,
        route=Route.EXPRESS,
        reviewer=people.north_reviewer,
    )


@pytest.fixture
def town_fund(city, people) -> Fund:
    return make_fund(people.north_reviewer, city.north)


def _pay(client, wish, fund, **data):
    values = {
        "fund": fund.pk,
        "payee_name": PAYEE,
        "payee_account": ACCOUNT,
        "payment_reference": "ABC-2026-0007",
    }
    values.update(data)
    return client.post(reverse("wishes:express_pay", args=[wish.pk]), values)


def _detail(client, wish):
    return client.get(reverse("wishes:staff_detail", args=[wish.pk]))


# --- Paying an express wish -----------------------------------------------------------------


def test_the_page_offers_the_funds_with_what_they_have_free(
    client, site, people, express_wish, town_fund, english
):
    client.force_login(people.north_reviewer)
    response = _detail(client, express_wish)
    assert response.status_code == 200
    form = response.context["forms"]["express_pay"]
    assert [value for value, _label in form.fields["fund"].choices] == [town_fund.pk]
    page = response.content.decode()
    assert "北城街道救助金 (free: ¥5,000.00)" in page
    assert "¥800.00" in page
    assert "Waiting for an express payment" in page
    assert response.context["express_overdue"] is False


def test_an_overdue_express_wish_is_flagged(client, site, people, express_wish, town_fund):
    Wish.objects.filter(pk=express_wish.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    client.force_login(people.north_reviewer)
    assert _detail(client, express_wish).context["express_overdue"] is True


def test_express_pay_resolves_the_wish_and_moves_money_to_payouts(
    client, site, people, express_wish, town_fund, english
):
    payouts_before = ledger.world(ledger.PAYOUTS).ledger_balance()
    client.force_login(people.north_reviewer)
    response = _pay(client, express_wish, town_fund)
    assert response.status_code == 302
    express_wish.refresh_from_db()
    assert express_wish.status == Status.RESOLVED
    grant = FundGrant.objects.get()
    assert (grant.fund, grant.amount) == (town_fund, Decimal("800.00"))
    assert (grant.payee_name, grant.payee_account) == (PAYEE, ACCOUNT)
    town_fund.account.refresh_from_db()
    assert town_fund.account.balance == Decimal("4200.00")
    assert ledger.world(ledger.PAYOUTS).ledger_balance() - payouts_before == Decimal("800.00")
    assert_ledger_consistent()

    page = _detail(client, express_wish)
    text = page.content.decode()
    assert page.context["grant"] == grant
    assert "ABC-2026-0007" in text and "北城街道救助金" in text
    assert PAYEE in text  # the reviewer may see private data here
    assert "•••• 2333" in text and ACCOUNT not in text
    assert "express_pay" not in page.context["forms"]


def test_readers_in_the_area_see_the_payment_the_account_masked(
    client, site, city, people, express_wish, town_fund, make_user
):
    client.force_login(people.north_reviewer)
    _pay(client, express_wish, town_fund)
    client.force_login(make_user(Role.SUPERVISOR, city.north))
    page = _detail(client, express_wish)
    text = page.content.decode()
    assert page.context["grant"].payment_reference == "ABC-2026-0007"
    assert PAYEE in text and "•••• 2333" in text
    assert ACCOUNT not in text


def test_an_underfunded_fund_is_refused_with_a_message(
    client, site, city, people, express_wish, english
):
    small = make_fund(people.north_reviewer, city.north, name="北城小额基金", amount="500")
    client.force_login(people.north_reviewer)
    response = _pay(client, express_wish, small)
    assert response.status_code == 409
    page = response.content.decode()
    assert "The fund has only ¥500.00 free" in page
    assert PAYEE in page and "ABC-2026-0007" in page  # typed input kept
    express_wish.refresh_from_db()
    assert express_wish.status == Status.PUBLISHED
    assert not FundGrant.objects.exists()
    assert_ledger_consistent()


def test_a_fund_from_elsewhere_cannot_be_chosen(
    client, site, city, people, express_wish, make_user, english
):
    admin = make_user(Role.CITY_ADMIN, city.city)
    south = make_fund(admin, city.south, name="南城街道救助金")
    client.force_login(admin)
    offered = _detail(client, express_wish).context["forms"]["express_pay"].fields["fund"]
    assert south.pk not in [value for value, _label in offered.choices]
    response = _pay(client, express_wish, south)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not FundGrant.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"payment_reference": ""}, "This field is required."),
        ({"payee_name": "  "}, "This field is required."),
        ({"payee_account": "abc"}, "Enter the bank account number"),
    ],
)
def test_bad_express_input_is_400(
    client, site, people, express_wish, town_fund, english, data, message
):
    client.force_login(people.north_reviewer)
    response = _pay(client, express_wish, town_fund, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FundGrant.objects.exists()


def test_who_may_pay(client, site, people, express_wish, town_fund, make_user):
    for user in (people.north_staff, people.south_reviewer, people.resident):
        client.force_login(user)
        assert _pay(client, express_wish, town_fund).status_code == 404
        page = _detail(client, express_wish)
        assert page.status_code == 404 or "express_pay" not in page.context["forms"]
    client.logout()
    assert _pay(client, express_wish, town_fund).status_code == 302  # to sign in
    express_wish.refresh_from_db()
    assert express_wish.status == Status.PUBLISHED


def test_a_paid_wish_is_not_paid_twice(client, site, people, express_wish, town_fund, english):
    client.force_login(people.north_reviewer)
    assert _pay(client, express_wish, town_fund).status_code == 302
    response = _pay(client, express_wish, town_fund, payment_reference="AGAIN-1")
    assert response.status_code == 409
    assert "This is not waiting for an express payment." in response.content.decode()
    assert FundGrant.objects.count() == 1


def test_the_payee_never_reaches_a_public_page_or_the_trail(
    client, site, people, express_wish, town_fund
):
    client.force_login(people.north_reviewer)
    _pay(client, express_wish, town_fund)
    client.logout()
    for url in (
        reverse("wishes:track", args=[tracking_token(express_wish.reference)]),
        reverse("wishes:published"),
    ):
        text = client.get(url).content.decode()
        assert PAYEE not in text and ACCOUNT not in text and "2333" not in text
    for event in AuditEvent.objects.all():
        assert PAYEE not in f"{event.data} {event.reason} {event.target_label}"
        assert ACCOUNT not in f"{event.data} {event.reason} {event.target_label}"


# --- Falling back to express funding ------------------------------------------------------


@pytest.fixture
def direct_wish(city, people) -> Wish:
    return make_wish(
        people.north_staff, city.north_a, status=Status.PUBLISHED, reviewer=people.north_reviewer
    )


def _lapse(wish: Wish) -> Listing:
    listing = Listing.objects.of(wish).get()
    Listing.objects.filter(pk=listing.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    return listing


def _fallback(client, wish, amount="1200.00", reason="逾期无人认领"):
    return client.post(
        reverse("wishes:express_fallback", args=[wish.pk]), {"amount": amount, "reason": reason}
    )


def test_an_overdue_untaken_direct_wish_moves_to_express(
    client, site, people, direct_wish, town_fund
):
    listing = _lapse(direct_wish)
    client.force_login(people.north_reviewer)
    page = _detail(client, direct_wish)
    assert page.context["listing"] == listing
    assert page.context["forms"]["express_fallback"].initial["amount"] == Decimal("1200.00")
    response = _fallback(client, direct_wish)
    assert response.status_code == 302
    direct_wish.refresh_from_db()
    listing.refresh_from_db()
    assert (direct_wish.route, direct_wish.express_amount) == (Route.EXPRESS, Decimal("1200.00"))
    assert direct_wish.status == Status.PUBLISHED
    assert listing.status == ListingStatus.CANCELLED
    # Now it waits for payment, and the queue finds it.
    queue = client.get(reverse("wishes:queue") + "?status=published&route=express")
    assert [w.pk for w in queue.context["page"]] == [direct_wish.pk]
    assert "express_pay" in _detail(client, direct_wish).context["forms"]
    assert _pay(client, direct_wish, town_fund).status_code == 302
    direct_wish.refresh_from_db()
    assert direct_wish.status == Status.RESOLVED


def test_the_fallback_is_refused_before_the_deadline(client, site, people, direct_wish, english):
    client.force_login(people.north_reviewer)
    assert "express_fallback" not in _detail(client, direct_wish).context["forms"]
    response = _fallback(client, direct_wish)
    assert response.status_code == 409
    page = response.content.decode()
    assert "still open past its deadline" in page
    assert "逾期无人认领" in page  # typed input kept
    direct_wish.refresh_from_db()
    assert direct_wish.route == Route.DIRECT
    assert Listing.objects.of(direct_wish).get().status == ListingStatus.OPEN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "0"}, "Enter an amount above zero."),
        ({"reason": ""}, "Please give a reason."),
    ],
)
def test_bad_fallback_input_is_400(client, site, people, direct_wish, english, data, message):
    _lapse(direct_wish)
    client.force_login(people.north_reviewer)
    response = _fallback(client, direct_wish, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    direct_wish.refresh_from_db()
    assert direct_wish.route == Route.DIRECT


def test_who_may_fall_back(client, site, people, direct_wish):
    _lapse(direct_wish)
    for user in (people.north_staff, people.south_reviewer):
        client.force_login(user)
        assert _fallback(client, direct_wish).status_code == 404
    direct_wish.refresh_from_db()
    assert direct_wish.route == Route.DIRECT


def test_the_queue_filters_by_route(client, site, city, people, express_wish, direct_wish):
    client.force_login(people.north_reviewer)
    url = reverse("wishes:queue")
    found = client.get(url + "?status=published&route=express").context["page"]
    assert [w.pk for w in found] == [express_wish.pk]
    found = client.get(url + "?route=direct").context["page"]
    assert [w.pk for w in found] == [direct_wish.pk]


# --- Query counts ---------------------------------------------------------------------------


def _assert_constant(client, url, queries, grow, django_assert_num_queries):
    client.get(url)  # warm per-process caches (content types, Wagtail locales)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200


def test_express_detail_query_count(
    client, site, city, people, express_wish, make_user, django_assert_num_queries
):
    admin = make_user(Role.CITY_ADMIN, city.city)
    make_fund(admin, city.city, name="东莞市专项资金", owner=FundOwner.CITY)

    def grow():
        for i in range(3):
            make_fund(admin, city.north, name=f"北城基金{i}")
            make_fund(admin, city.south, name=f"南城基金{i}")  # not offered: elsewhere

    client.force_login(admin)
    # session, user, roles, wish, needs, objections, referrals, steps, the funds offered
    # (with accounts and promised matches), attachments + frame 3
    url = reverse("wishes:staff_detail", args=[express_wish.pk])
    _assert_constant(client, url, 13, grow, django_assert_num_queries)


def test_paid_express_detail_query_count(
    client, site, city, people, express_wish, town_fund, django_assert_num_queries
):
    client.force_login(people.north_reviewer)
    _pay(client, express_wish, town_fund)

    def grow():
        for _ in range(3):  # other wishes paid from the same fund
            other = make_wish(
                people.north_staff,
                city.north_a,
                status=Status.PUBLISHED,
                route=Route.EXPRESS,
                reviewer=people.north_reviewer,
            )
            _pay(client, other, town_fund, payment_reference=f"ABC-{other.pk}")

    # session, user, roles, wish, needs, objections, referrals, steps, the grant (with
    # fund and approver), attachments + frame 3
    url = reverse("wishes:staff_detail", args=[express_wish.pk])
    _assert_constant(client, url, 13, grow, django_assert_num_queries)


def test_lapsed_direct_detail_query_count(
    client, site, people, direct_wish, make_user, django_assert_num_queries
):
    from marketplace import services as marketplace_services

    listing = _lapse(direct_wish)
    money = listing.lines.get(kind="money")

    def grow():
        for _ in range(3):  # pending pledges do not stop the fallback
            marketplace_services.pledge_create(
                donor=make_user(), line=money, quantity=Decimal("10")
            )

    client.force_login(people.north_reviewer)
    # session, user, roles, wish, needs, objections, referrals, steps, the listing, is a
    # claim holding it, is a pledge confirmed, attachments + frame 3
    url = reverse("wishes:staff_detail", args=[direct_wish.pk])
    _assert_constant(client, url, 15, grow, django_assert_num_queries)
