"""The station workspace and a listing's delivery page: scope, forms, both languages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from marketplace import services as marketplace
from marketplace.models import Listing, ListingStatus
from stations import services
from stations.models import Condition, Delivery, GoodsIntake
from tests.marketplace.test_browse import publish
from tests.stations.conftest import fully_pledge
from tests.wishes.factories import SECRET_ADDRESS, SECRET_NAME, SECRET_PHONE

pytestmark = pytest.mark.django_db


def _goods_listing(community, make_user, *, title="为孩子购买书包", deadline=None) -> Listing:
    """A listing of 2 school bags, pledged in full and confirmed (not yet dropped off)."""
    listing = publish(community, title=title, money=None, goods=2, deadline=deadline)
    pledge = marketplace.pledge_create(
        donor=make_user(), line=listing.lines.get(), quantity=Decimal("2")
    )
    marketplace.pledge_confirm(pledge=pledge)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED
    return listing


# --- Workspace -----------------------------------------------------------------------------


def test_workspace_lists_what_is_due_overdue_first(client, site, city, staff, make_user):
    today = timezone.localdate()
    later = _goods_listing(
        city.north_a, make_user, title="下月截止", deadline=today + timedelta(30)
    )
    overdue = _goods_listing(
        city.north_a, make_user, title="已经逾期", deadline=today - timedelta(2)
    )
    elsewhere = _goods_listing(city.south_a, make_user, title="南城的需要")
    client.force_login(staff)

    response = client.get(reverse("stations:workspace"))

    assert response.status_code == 200
    listings = list(response.context["listings"])
    assert listings == [overdue, later]
    assert elsewhere not in listings
    goods = [pledge.line.listing for pledge in response.context["goods"]]
    assert goods == [overdue, later]
    text = response.content.decode()
    assert text.index("已经逾期") < text.index("下月截止")
    assert "南城的需要" not in text
    assert "已逾期" in text or "逾期" in text


def test_goods_drop_off_leaves_the_awaited_list(client, site, city, staff, make_user):
    listing = _goods_listing(city.north_a, make_user)
    services.goods_intake_record(
        actor=staff,
        pledge=listing.lines.get().pledges.get(),
        item="书包",
        quantity=Decimal("2"),
        condition=Condition.NEW,
    )
    client.force_login(staff)
    response = client.get(reverse("stations:workspace"))
    assert list(response.context["goods"]) == []
    assert list(response.context["listings"]) == [listing]


def test_workspace_empty_state_in_english(client, site, staff, english):
    client.force_login(staff)
    response = client.get(reverse("stations:workspace"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Station workspace" in text
    assert "Nothing to deliver right now." in text
    assert "No goods are awaited." in text
    assert "No follow-up visits are due." in text
    assert "No shifts in the next seven days." in text


def test_workspace_in_chinese(client, site, city, staff, make_user):
    overdue = timezone.localdate() - timedelta(1)
    _goods_listing(city.north_a, make_user, deadline=overdue)
    client.force_login(staff)
    response = client.get(reverse("stations:workspace"))
    assert response.wsgi_request.LANGUAGE_CODE == "zh-hans"
    text = response.content.decode()
    # Labels shared with the rest of the site (the station's own new labels are in Chinese
    # once the catalogue is compiled with them).
    for chinese in ("已认满", "截止日期", "捐赠人", "逾期", "工作台"):
        assert chinese in text
    for english in ("Fully pledged", "Deadline", "Donor", "Overdue"):
        assert english not in text


def test_workspace_is_404_for_who_logs_no_deliveries(client, city, make_user):
    client.force_login(make_user(Role.TOWN_REVIEWER, city.north))
    assert client.get(reverse("stations:workspace")).status_code == 404
    client.force_login(make_user())
    assert client.get(reverse("stations:workspace")).status_code == 404


def test_workspace_paginates(client, site, city, staff, make_user, monkeypatch):
    from stations.views import workspace as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for n in range(3):
        _goods_listing(city.north_a, make_user, title=f"书包{n}")
    client.force_login(staff)
    first = client.get(reverse("stations:workspace"))
    assert len(first.context["listings"]) == 2
    second = client.get(reverse("stations:workspace") + "?page=2")
    assert len(second.context["listings"]) == 1
    assert 'href="?goods_page=2"' in first.content.decode()


# --- A listing's delivery page ---------------------------------------------------------


def test_delivery_page_shows_lines_without_the_recipients_identity(
    client, site, listing, staff, make_user
):
    fully_pledge(listing, make_user)
    services.delivery_log(
        actor=staff, line=listing.lines.get(kind="goods"), quantity=Decimal("1"), note="一台轮椅"
    )
    client.force_login(staff)
    response = client.get(reverse("stations:listing_delivery", args=[listing.pk]))
    assert response.status_code == 200
    lines = {line.kind: line for line in response.context["lines"]}
    assert lines["goods"].delivered == Decimal("1") and lines["goods"].remaining == Decimal("1")
    text = response.content.decode()
    assert "一台轮椅" in text
    for secret in (SECRET_NAME, SECRET_ADDRESS, SECRET_PHONE):
        assert secret not in text


def test_another_stations_listing_is_404(client, listing, south_staff, make_user):
    fully_pledge(listing, make_user)
    client.force_login(south_staff)
    assert client.get(reverse("stations:listing_delivery", args=[listing.pk])).status_code == 404
    response = client.post(
        reverse("stations:delivery_log", args=[listing.pk]),
        {"line": listing.lines.get(kind="goods").pk, "quantity": "1", "note": "x"},
    )
    assert response.status_code == 404
    assert not Delivery.objects.exists()


def test_log_a_delivery_through_the_page(client, site, listing, staff, make_user):
    fully_pledge(listing, make_user)
    goods = listing.lines.get(kind="goods")
    client.force_login(staff)
    response = client.post(
        reverse("stations:delivery_log", args=[listing.pk]),
        {"line": goods.pk, "quantity": "2", "note": "两台轮椅已送到家中"},
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert delivery.line == goods and delivery.quantity == Decimal("2")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.IN_DELIVERY


def test_over_delivery_answers_409_and_keeps_the_input(client, site, listing, staff, make_user):
    fully_pledge(listing, make_user)
    client.force_login(staff)
    response = client.post(
        reverse("stations:delivery_log", args=[listing.pk]),
        {"line": listing.lines.get(kind="goods").pk, "quantity": "3", "note": "三台轮椅"},
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert 'value="三台轮椅"' in text
    assert "本项只剩" in text or "2" in text
    assert not Delivery.objects.exists()


def test_invalid_delivery_form_answers_400(client, site, listing, staff, make_user, english):
    fully_pledge(listing, make_user)
    client.force_login(staff)
    response = client.post(
        reverse("stations:delivery_log", args=[listing.pk]),
        {"line": listing.lines.get(kind="goods").pk, "quantity": "-1", "note": "kept note"},
    )
    assert response.status_code == 400
    assert 'value="kept note"' in response.content.decode()


def test_record_goods_through_the_page(client, site, listing, staff, make_user):
    pledge = fully_pledge(listing, make_user)["goods"]
    client.force_login(staff)
    response = client.post(
        reverse("stations:intake_record", args=[listing.pk]),
        {"pledge": pledge.pk, "item": "轮椅", "quantity": "1", "condition": "good"},
    )
    assert response.status_code == 400  # one fewer than pledged, and no note of it
    assert 'value="轮椅"' in response.content.decode()
    response = client.post(
        reverse("stations:intake_record", args=[listing.pk]),
        {
            "pledge": pledge.pk,
            "item": "轮椅",
            "quantity": "1",
            "condition": "good",
            "discrepancy": "少一台",
        },
    )
    assert response.status_code == 302
    assert GoodsIntake.objects.get().discrepancy == "少一台"


def test_attest_and_share_through_the_page(client, site, listing, staff, make_user):
    from tests.stations.conftest import jpeg_bytes, upload

    fully_pledge(listing, make_user)
    delivery = services.delivery_log(
        actor=staff, line=listing.lines.get(kind="goods"), quantity=Decimal("2"), note="两台"
    )
    photo = services.delivery_photo_add(actor=staff, delivery=delivery, upload=upload(jpeg_bytes()))
    client.force_login(staff)

    response = client.post(reverse("stations:delivery_attest", args=[delivery.pk]), {"reason": ""})
    assert response.status_code == 400
    response = client.post(
        reverse("stations:delivery_attest", args=[delivery.pk]), {"reason": "老人卧床"}
    )
    assert response.status_code == 302
    response = client.post(reverse("stations:photo_share", args=[photo.pk]), {"shareable": "on"})
    assert response.status_code == 400
    photo.refresh_from_db()
    assert not photo.shareable
    response = client.post(
        reverse("stations:photo_share", args=[photo.pk]),
        {"shareable": "on", "no_personal_data": "on"},
    )
    assert response.status_code == 302
    photo.refresh_from_db()
    delivery.refresh_from_db()
    assert photo.shareable and delivery.attestation_reason == "老人卧床"


def test_workspace_shows_what_is_due_today_or_this_week(client, site, city, staff, make_user):
    today = timezone.localdate()
    overdue = _goods_listing(city.north_a, make_user, deadline=today - timedelta(1))
    due_today = _goods_listing(city.north_a, make_user, deadline=today)
    in_three_days = _goods_listing(city.north_a, make_user, deadline=today + timedelta(3))
    next_month = _goods_listing(city.north_a, make_user, deadline=today + timedelta(30))
    client.force_login(staff)
    url = reverse("stations:workspace")

    def shown(query: str) -> tuple[list, list]:
        response = client.get(url + query)
        return (
            list(response.context["listings"]),
            [pledge.line.listing for pledge in response.context["goods"]],
        )

    assert shown("?when=today") == ([overdue, due_today],) * 2
    assert shown("?when=week") == ([overdue, due_today, in_three_days],) * 2
    assert shown("") == ([overdue, due_today, in_three_days, next_month],) * 2
    assert shown("?when=bogus") == shown("")


def test_workspace_lists_the_follow_up_visit_of_a_recipient_without_a_phone(
    client, site, listing, staff, make_user
):
    """Delivered to a household with no phone or email on record: the station must visit,
    and the workspace says so (without the recipient's name)."""
    household = listing.source.household
    household.phone = ""
    household.save(update_fields=["phone"])
    fully_pledge(listing, make_user)
    for line in listing.lines.order_by("pk"):
        services.delivery_log(actor=staff, line=line, quantity=line.target, note="已送达")
    client.force_login(staff)
    response = client.get(reverse("stations:workspace"))
    visits = response.context["visits"]
    assert [visit.listing_id for visit in visits] == [listing.pk]
    text = response.content.decode()
    assert reverse("feedback:follow_up", args=[visits[0].pk]) in text
    assert "待回访" in text and SECRET_NAME not in text
