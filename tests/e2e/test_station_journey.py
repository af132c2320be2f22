"""The station's journey in a real browser, on phones, in both languages.

Station staff sign in on a phone, find the fully pledged need in their workspace, log the
delivery of each line and attach a photo to the last; the listing is delivered and the
recipient is texted a one-time link. The recipient opens it on their own phone (signed
out), confirms receipt and taps four stars; the link then cannot be used again. The donor
finally sees the outcome on the listing's public page: delivered, when, and the rating, but
neither the recipient's comment nor anything about who they are.
"""

import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts import sms
from accounts.roles import Role
from feedback.models import Rating
from feedback.selectors import listing_outcome
from marketplace.models import Listing, ListingStatus
from marketplace.services import pledge_create
from stations.models import Condition, Delivery, DeliveryPhoto
from stations.services import goods_intake_record
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.marketplace.money import pay
from tests.wishes.factories import (
    SECRET_ADDRESS,
    SECRET_ID,
    SECRET_NAME,
    SECRET_NOTES,
    SECRET_PHONE,
    make_wish,
)
from wishes.models import Status
from wishes.services import NeedLine

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "为独居老人添置轮椅"
COMMENT = "轮椅很合适，谢谢驿站的志愿者"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
LINK = re.compile(r"https?://\S+/feedback/r/[A-Za-z0-9_-]+/")


def _context(browser: Browser, **options) -> BrowserContext:
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    context.set_default_navigation_timeout(15_000)
    return context


def sign_in(page: Page, base: str, path: str, email: str) -> None:
    """Sign in on the login page (in *path*'s language) and land on *path*."""
    language = path.split("/")[1]
    page.goto(f"{base}/{language}/accounts/login/?next={quote(path)}")
    page.locator("main [name=login]").fill(email)
    page.locator("main [name=password]").fill(DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def assert_no_recipient_data(page: Page) -> None:
    html = page.content()
    for secret in (
        SECRET_NAME,
        SECRET_ID,
        SECRET_PHONE,
        SECRET_PHONE[3:],
        SECRET_ADDRESS,
        SECRET_NOTES,
        COMMENT,
    ):
        assert secret not in html, f"{secret!r} leaked on {page.url}"


@pytest.fixture
def fully_pledged(city, make_user):
    """A published wish's listing at the north station, fully pledged and paid by one donor:
    ¥500 and a wheelchair (already dropped off at the station). The household has a phone."""
    staff = make_user(Role.STATION_STAFF, city.north_a, email="north.staff@example.org")
    reviewer = make_user(Role.TOWN_REVIEWER, city.north)
    # The donor reads English: signing in lands on pages in the language they chose.
    donor = make_user(email="donor@example.org", preferred_language="en")
    wish = make_wish(
        staff,
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=reviewer,
        title=TITLE,
        needs=[
            NeedLine(kind="money", amount=Decimal("500.00")),
            NeedLine(kind="goods", item="轮椅", quantity=1, specification="折叠式"),
        ],
    )
    listing = Listing.objects.of(wish).get()
    money = listing.lines.get(kind="money")
    goods = listing.lines.get(kind="goods")
    pay(pledge_create(donor=donor, line=money, quantity=Decimal("500")))
    goods_pledge = pledge_create(donor=donor, line=goods, quantity=Decimal("1"))
    goods_intake_record(
        actor=staff,
        pledge=goods_pledge,
        item="轮椅",
        quantity=Decimal("1"),
        condition=Condition.NEW,
    )
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED
    return listing, money, goods


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "delivery.jpg"
    Image.new("RGB", (640, 480), (40, 120, 200)).save(path, "JPEG", quality=80)
    return path


def test_delivery_on_a_phone_then_rating_then_donor_sees_outcome(
    live_server, browser: Browser, settings, fully_pledged, photo_file
):
    base = live_server.url
    settings.SITE_URL = base  # the texted link points at the live server
    cache.clear()  # rate-limit counts of earlier tests
    sms.outbox.clear()
    listing, money, goods = fully_pledged

    # 1. Station staff, on a phone, in Chinese: the workspace shows the need to deliver.
    staff_phone = _context(browser, **PHONE)
    page = staff_phone.new_page()
    page.goto(f"{base}/zh-hans/staff/station/")  # signed out: to the login page first
    expect(page).to_have_url(re.compile(r"/zh-hans/accounts/login/\?next="))
    sign_in(page, base, "/zh-hans/staff/station/", "north.staff@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("驿站工作台")
    due = page.locator("#deliver + .card-list .card", has_text=TITLE)
    expect(due).to_contain_text("已认满")
    due.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/zh-hans/staff/station/listings/{listing.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    # Phone-sized: the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # 2. The money first: the listing goes into delivery, the goods line is still open.
    page.select_option("#log_line", str(money.pk))
    page.fill("#log_quantity", "500")
    page.fill("#log_note", "善款已用于购买轮椅")
    page.get_by_role("button", name="登记这次交付").click()
    expect(page.locator(".messages")).to_contain_text("交付已登记")
    expect(page.locator("main .badge").first).to_have_text("交付中")
    expect(page.locator("#log_line option")).to_have_count(1)
    assert not any(LINK.search(m.body) for m in sms.outbox)  # not delivered yet: no link

    # 3. The wheelchair, the last line: the listing is delivered.
    page.select_option("#log_line", str(goods.pk))
    page.fill("#log_quantity", "1")
    page.fill("#log_note", "轮椅已送到老人家中并调试好")
    page.get_by_role("button", name="登记这次交付").click()
    expect(page.locator(".messages")).to_contain_text("交付已登记")
    expect(page.locator("main .badge").first).to_have_text("已交付")
    expect(page.get_by_text("所有需求均已交付。")).to_be_visible()
    last = Delivery.objects.get(line=goods)

    # 4. A photo of the wheelchair, taken on the phone, as evidence of the last delivery.
    card = page.locator(f"#delivery-{last.pk}")
    card.get_by_text("添加照片").click()
    card.locator(f"#photo{last.pk}_photo").set_input_files(photo_file)
    card.locator(f"#photo{last.pk}_description").fill("轮椅")
    card.get_by_role("button", name="上传").click()
    expect(page.locator(".messages")).to_contain_text("照片已添加")
    image = page.locator(f"#delivery-{last.pk} img")
    expect(image).to_be_visible()
    # The photo is served back (re-encoded, same size) through the permission-checked view.
    page.wait_for_function(
        "sel => { const img = document.querySelector(sel); return img && img.complete "
        "&& img.naturalWidth > 0 }",
        arg=f"#delivery-{last.pk} img",
    )
    assert image.evaluate("img => img.naturalWidth") == 640
    photo = DeliveryPhoto.objects.get(delivery=last)
    assert photo.content_type == "image/jpeg" and photo.delivery.listing_id == listing.pk
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DELIVERED
    staff_phone.close()

    # 5. The recipient's phone got the one-time link by text message.
    texts = [m for m in sms.outbox if LINK.search(m.body)]
    assert len(texts) == 1 and texts[0].to == SECRET_PHONE
    url = LINK.search(texts[0].body).group(0)
    assert url.startswith(f"{base}/zh-hans/feedback/r/")

    # 6. On their own phone, signed out: confirm, tap four stars, comment, send.
    recipient_phone = _context(browser, **PHONE)
    page = recipient_phone.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("帮助到位了吗？")
    expect(page.locator("main")).to_contain_text(TITLE)
    page.locator("label[for=id_received_0]").tap()  # yes, received
    page.locator("label[for=id_score_1]").tap()  # 4 — good
    expect(page.locator("#id_received_0")).to_be_checked()
    expect(page.locator("#id_score_1")).to_be_checked()
    page.locator("textarea[name=comment]").fill(COMMENT)
    page.locator("main button[type=submit]").tap()
    expect(page).to_have_url(re.compile(r"/zh-hans/feedback/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("谢谢")
    rating = Rating.objects.get(listing=listing)
    assert (rating.score, rating.received, rating.comment) == (4, True, COMMENT)

    # 7. The link works once: again (in English) it cannot be used, and says nothing more.
    response = page.goto(url.replace("/zh-hans/", "/en/"))
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    expect(page.locator("main")).not_to_contain_text(TITLE)
    recipient_phone.close()
    assert Rating.objects.filter(listing=listing).count() == 1

    # 8. The donor, on a desktop in English, sees the outcome on the listing's public page.
    delivered_on = timezone.localtime(listing_outcome(listing).delivered_at).date().isoformat()
    desktop = _context(browser, viewport={"width": 1280, "height": 900}, locale="en-US")
    page = desktop.new_page()
    sign_in(page, base, f"/en/give/{listing.reference}/", "donor@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    outcome = page.locator("section[aria-labelledby=outcome-heading]")
    expect(outcome.locator("h2")).to_have_text("Outcome")
    expect(outcome.locator("dt").first).to_have_text("Delivered")
    expect(outcome.locator("time")).to_have_text(delivered_on)
    expect(outcome).to_contain_text("4.0 of 5 (1 rating)")
    assert_no_recipient_data(page)
    # And in Chinese.
    page.goto(f"{base}/zh-hans/give/{listing.reference}/")
    expect(outcome.locator("h2")).to_have_text("成效")
    expect(outcome.locator("dt").first).to_have_text("已交付")
    expect(outcome.locator("time")).to_have_text(delivered_on)
    expect(outcome).to_contain_text("4.0 分")
    assert_no_recipient_data(page)
    desktop.close()
