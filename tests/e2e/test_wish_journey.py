"""A wish's journey in a real browser, in both languages.

Station staff take a hotline wish for an elderly resident and verify it; the town reviewer
sees the duplicate warning and why the need index is what it is, and approves it as direct;
the public notice shows it without personal data; after the notice period it is public,
still without any.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Region, User
from tests.e2e.conftest import DEMO_PASSWORD
from tests.wishes.factories import make_household, make_wish
from wishes.models import Status, Wish
from wishes.tasks import wishes_publish_due

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PERSON = "测试老人乙"
ID_NUMBER = "44190019400202002X"
PHONE = "13822223333"
ADDRESS = "元美路演示巷 7 号"
TITLE = "为独居老人添置助行器"


def sign_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/en/accounts/login/")
    page.get_by_label(re.compile("^Email")).fill(email)
    page.get_by_label(re.compile("^Password:?$")).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    expect(
        page.locator("header").get_by_role("button", name=re.compile("Sign out|退出"))
    ).to_be_visible()


def assert_no_personal_data(page: Page) -> None:
    html = page.content()
    for secret in (PERSON, ID_NUMBER, PHONE, "138 2222 3333", ADDRESS, "入户发现"):
        assert secret not in html, f"{secret!r} leaked on {page.url}"


def test_hotline_wish_from_intake_to_public(demo, page: Page):
    base = demo.url
    staff = User.objects.get(email="station.staff@linli.local")
    community = Region.objects.get(code="dg-nc-ym")
    # The same person already has an open wish on record (through another household
    # record), so the reviewer must see the duplicate warning.
    earlier = make_household(community, staff, id_number=ID_NUMBER)
    make_wish(staff, community, household=earlier, title="老人就医陪诊")

    # 1. Station staff take the wish in, in Chinese, on the hotline's word.
    sign_in(page, base, "station.staff@linli.local")
    page.goto(f"{base}/zh-hans/staff/wishes/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("代为登记心愿")
    page.select_option("[name=channel]", "hotline")
    page.fill("[name=title]", TITLE)
    page.fill("[name=story]", "老人独居，腿脚不便，需要一台助行器才能出门买菜、就医。")
    page.select_option("[name=category]", "elder_care")
    page.select_option("[name=urgency]", "urgent")
    page.select_option("[name=needs-0-kind]", "goods")
    page.fill("[name=needs-0-item]", "助行器")
    page.fill("[name=needs-0-quantity]", "1")
    page.fill("[name=head_name]", PERSON)
    page.fill("[name=id_number]", ID_NUMBER)
    page.fill("[name=phone]", PHONE)
    page.fill("[name=address]", ADDRESS)
    page.select_option("[name=community]", str(community.pk))
    page.fill("[name=monthly_income_per_person]", "450")
    page.select_option("[name=disability_grade]", "2")
    page.fill("[name=elderly_dependants]", "0")
    page.check("[name=consent]")
    page.fill("[name=consent_note]", "电话中口头同意，已录音")
    page.get_by_role("button", name="登记心愿").click()
    expect(page.locator(".messages")).to_contain_text("首问责任人")
    wish = Wish.objects.get(title=TITLE)
    assert (
        wish.status == Status.ACCEPTED
        and wish.channel == "hotline"
        and wish.first_responsible == staff
    )
    assert page.url.endswith(f"/zh-hans/staff/wishes/{wish.pk}/")

    # 2. The home visit, recorded by the same staff.
    page.fill("#verify_notes", "入户发现老人独居，行走困难，情况属实。")
    page.locator("form[action$='/verify/']").get_by_role("button").click()
    expect(page.locator(".messages")).to_contain_text("核实")

    # 3. The town reviewer, in English, sees the duplicate warning and the need index.
    sign_in(page, base, "town.reviewer@linli.local")
    page.goto(f"{base}/en/staff/wishes/{wish.pk}/")
    expect(page.get_by_text("Possible duplicate aid.")).to_be_visible()
    expect(page.get_by_text("老人就医陪诊")).to_be_visible()  # the other wish, linked
    expect(page.get_by_role("table", name="Why this score")).to_be_visible()
    expect(
        page.get_by_role("cell", name="Income below the minimum living standard")
    ).to_be_visible()
    review = page.locator("form[action$='/review/']")
    review.locator("input[name=route][value=direct]").check()
    review.locator("[name=reason]").fill(
        "Verified on a home visit; a walker lets her go out again."
    )
    review.locator("[name=duplicate_reason]").fill(
        "The other wish is for escorting her to hospital, not a walker."
    )
    review.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("approved")
    wish.refresh_from_db()
    assert wish.status == Status.NOTICE and wish.route == "direct"

    # 4. Anyone sees it on the public notice, in both languages, without personal data.
    page.context.clear_cookies()
    for language in ("zh-hans", "en"):
        page.goto(f"{base}/{language}/wishes/notice/")
        expect(page.get_by_role("link", name=TITLE)).to_be_visible()
        assert_no_personal_data(page)
        page.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        assert_no_personal_data(page)

    # 5. The notice period passes without objection; the periodic task publishes it.
    Wish.objects.filter(pk=wish.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    assert wishes_publish_due() >= 1
    wish.refresh_from_db()
    assert wish.status == Status.PUBLISHED
    for language, published in (("zh-hans", "已发布"), ("en", "Published")):
        page.goto(f"{base}/{language}/wishes/{wish.reference}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(page.locator("main")).to_contain_text(published)
        assert_no_personal_data(page)
        page.goto(f"{base}/{language}/wishes/")
        expect(page.get_by_role("link", name=TITLE)).to_be_visible()
        assert_no_personal_data(page)
