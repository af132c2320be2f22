"""The recipient's part of the journey in a real browser on a phone-sized screen: open the
link from the text message, confirm and rate with taps only, see the thank-you page; the
link then answers "cannot be used". Both languages.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts import sms
from feedback.models import Rating
from tests.e2e.conftest import browser_context_args, browser_type_launch_args  # noqa: F401
from tests.e2e.conftest import page as page  # noqa: F401,PLC0414

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_recipient_rates_on_a_phone(
    page: Page, live_server, delivered, north_staff, send, settings, language
):
    settings.SITE_URL = live_server.url
    send(delivered, north_staff)
    # (The wish's own step notices went out by text message too: take the link's.)
    body = sms.outbox[-1].body
    url = re.search(r"https?://\S+/feedback/r/[A-Za-z0-9_-]+/", body).group(0)
    url = url.replace("/zh-hans/", f"/{language}/")
    page.set_viewport_size(PHONE)
    page.goto(url)
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("main")).to_contain_text(delivered.title)
    # Big tap targets: each choice is a whole labelled row, at least 44 px high.
    row = page.locator("label[for=id_score_1]")
    assert row.bounding_box()["height"] >= 44
    page.locator("label[for=id_received_0]").click()
    row.click()  # the second choice: 4
    page.locator("textarea[name=comment]").fill("很及时")
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/{language}/feedback/thanks/$"))
    rating = Rating.objects.get()
    assert (rating.score, rating.received, rating.comment) == (4, True, "很及时")
    response = page.goto(url)
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text(delivered.title)
