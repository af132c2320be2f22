"""The public site, sign-up, sign-in and the language switch, in a real browser."""

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from accounts.models import RoleAssignment, User
from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = [
    pytest.mark.e2e,
    # The live server reads committed data: each test seeds the demo city, then is flushed.
    pytest.mark.django_db(transaction=True),
]


def mail_to(outbox, address: str):
    """The last message sent to *address*."""
    sent = [m for m in outbox if address in m.to]
    assert sent, f"no mail to {address}; outbox: {[(m.to, m.subject) for m in outbox]}"
    return sent[-1]


def account_nav(page: Page):
    return page.locator("header").get_by_role("navigation", name=re.compile("account|账户|账号"))


def sign_in_with_password(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/en/accounts/login/")
    page.get_by_label(re.compile("^Email")).fill(email)
    page.get_by_label(re.compile("^Password:?$")).fill(password)
    page.locator("main").get_by_role("button", name=re.compile("^Sign in$", re.I)).click()


def expect_signed_in(page: Page, base: str) -> None:
    expect(page).to_have_url(f"{base}/en/me/")
    expect(page.locator("header").get_by_role("link", name="My Linli")).to_be_visible()
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()


# --- a. Home page in both languages -------------------------------------------------------


def test_home_page_in_chinese_and_english(demo, page: Page, tmp_path):
    page.goto(f"{demo.url}/zh-hans/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("邻里")
    shot = tmp_path / "home-zh.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000

    page.goto(f"{demo.url}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Linli")
    shot = tmp_path / "home-en.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000


# --- b. Sign-up with email verification ---------------------------------------------------


def test_sign_up_verify_email_and_land_signed_in(demo, page: Page, outbox):
    email = "new.neighbour@example.org"
    page.goto(f"{demo.url}/en/accounts/signup/")
    form = page.locator("main form").filter(has=page.get_by_label(re.compile("^Email")))
    form.get_by_label(re.compile("^Email")).fill(email)
    form.get_by_label(re.compile("^Password:?$")).fill("quiet-river-lantern-42")
    form.get_by_label(re.compile("^Password \\(again\\)")).fill("quiet-river-lantern-42")
    form.get_by_label(re.compile("^Display name")).fill("New Neighbour")
    form.get_by_role("button", name=re.compile("^Sign up", re.I)).click()

    expect(page).to_have_url(re.compile(r"/en/accounts/confirm-email/$"))
    user = User.objects.get(email=email)
    assert not EmailAddress.objects.get(user=user, email=email).verified

    message = mail_to(outbox, email)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body)
    assert link, message.body
    page.goto(link.group(0))
    page.locator("main").get_by_role("button", name=re.compile("^Confirm", re.I)).click()

    expect_signed_in(page, demo.url)
    user.refresh_from_db()
    assert EmailAddress.objects.get(user=user, email=email).verified
    assert user.display_name == "New Neighbour"
    assert user.preferred_language == "en"
    assert not user.is_staff
    assert not user.is_superuser
    assert not RoleAssignment.objects.filter(user=user).exists()


# --- c. Password sign-in and sign-out -----------------------------------------------------


def test_sign_in_with_password_then_sign_out(demo, page: Page):
    User.objects.filter(email="resident@linli.local").update(preferred_language="en")
    sign_in_with_password(page, demo.url, "resident@linli.local", DEMO_PASSWORD)
    expect_signed_in(page, demo.url)
    expect(page.locator("main")).to_contain_text("赵桂兰")

    page.locator("header").get_by_role("button", name="Sign out").click()
    expect(page.locator("header").get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.locator("header").get_by_role("link", name="My Linli")).to_have_count(0)
    page.goto(f"{demo.url}/en/me/")
    expect(page).to_have_url(re.compile(r"/en/accounts/login/\?next=/en/me/"))


def test_wrong_password_is_refused(demo, page: Page):
    sign_in_with_password(page, demo.url, "resident@linli.local", "not-the-password")
    expect(page).to_have_url(f"{demo.url}/en/accounts/login/")
    expect(page.locator("header").get_by_role("link", name="My Linli")).to_have_count(0)


# --- d. One-time code by email ------------------------------------------------------------


def test_sign_in_with_emailed_code(demo, page: Page, outbox):
    email = "volunteer@linli.local"
    User.objects.filter(email=email).update(preferred_language="en")
    page.goto(f"{demo.url}/en/accounts/login/")
    page.locator("main").get_by_role("link", name="Send me a sign-in code").click()
    expect(page).to_have_url(re.compile(r"/en/accounts/login/code/$"))
    page.locator("main").get_by_label(re.compile("^Email")).fill(email)
    page.locator("main").get_by_role("button", name=re.compile("code", re.I)).click()

    expect(page).to_have_url(re.compile(r"/en/accounts/login/code/confirm/$"))
    body = mail_to(outbox, email).body
    code = re.search(r"\n\n\s*([A-Z0-9][A-Z0-9-]{3,15})\s*\n\n", body)
    assert code, body
    page.locator("main").get_by_label(re.compile("^Code")).fill(code.group(1))
    page.locator("main").get_by_role("button", name=re.compile("^Confirm", re.I)).click()

    expect_signed_in(page, demo.url)


# --- e. Language switch -------------------------------------------------------------------


def test_language_switch_from_chinese_to_english_and_back(demo, page: Page):
    page.goto(f"{demo.url}/zh-hans/")
    expect(page.get_by_role("heading", level=1)).to_have_text("邻里")

    page.locator("#language-select").select_option("en")
    page.locator("header form").filter(has=page.locator("#language-select")).get_by_role(
        "button"
    ).click()
    expect(page).to_have_url(f"{demo.url}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Linli")
    expect(page.locator("#language-select")).to_have_value("en")

    page.locator("#language-select").select_option("zh-hans")
    page.locator("header form").filter(has=page.locator("#language-select")).get_by_role(
        "button"
    ).click()
    expect(page).to_have_url(f"{demo.url}/zh-hans/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("邻里")


# --- f. Phones: nothing wider than the screen -------------------------------------------


def test_pages_fit_a_phone_screen(demo, page: Page):
    """Station staff and elderly recipients use phones: no page may scroll sideways."""
    page.set_viewport_size({"width": 360, "height": 740})
    for path in (
        "/zh-hans/",
        "/en/",
        "/zh-hans/stations/",
        "/en/accounts/login/",
        "/en/accounts/signup/",
    ):
        page.goto(f"{demo.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width}px wide on a 360px screen"
