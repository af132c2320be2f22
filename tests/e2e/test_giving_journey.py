"""A donor's journey in a real browser: sign up, find a wish by filter, claim it, pay by bank
transfer; station staff confirm the transfer; the listing is fully pledged. In English,
then the result is checked in Chinese.
"""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import Region, User
from marketplace.models import Listing, ListingStatus, Payment
from tests.e2e.conftest import DEMO_PASSWORD
from tests.wishes.factories import make_wish
from wishes.models import Status
from wishes.services import NeedLine

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "留守儿童的学费缺口"


def test_new_donor_claims_an_urgent_education_wish_and_pays_by_bank_transfer(demo, page: Page):
    base = demo.url
    staff = User.objects.get(email="station.staff@linli.local")
    reviewer = User.objects.get(email="town.reviewer@linli.local")
    wish = make_wish(
        staff,
        Region.objects.get(code="dg-nc-ym"),
        status=Status.PUBLISHED,
        reviewer=reviewer,
        title=TITLE,
        story="孩子父母在外务工，下学期学费还差一部分。",
        urgency="urgent",
        needs=[NeedLine(kind="money", amount=Decimal("1500.00"))],
    )
    wish.category = "education"
    wish.save(update_fields=["category"])
    listing = Listing.objects.of(wish).get()
    Listing.objects.filter(pk=listing.pk).update(category="education")
    mail.outbox.clear()

    # 1. A new donor signs up and confirms the email address.
    page.goto(f"{base}/en/accounts/signup/")
    page.get_by_label(re.compile("^Email")).fill("new.donor@example.org")
    page.get_by_label(re.compile("^Password:?$")).fill("a long good passphrase 2026")
    page.get_by_label(re.compile("^Password \\(again\\)")).fill("a long good passphrase 2026")
    page.locator("main").get_by_role("button", name=re.compile("Sign up", re.I)).click()
    link = re.search(r"https?://\S+/confirm-email/\S+", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", base))
    page.locator("main").get_by_role("button", name=re.compile("Confirm", re.I)).click()
    expect(page.locator("header").get_by_role("link", name="My Linli")).to_be_visible()

    # 2. Finds the urgent education wish by filter, and claims it whole.
    page.goto(f"{base}/en/give/")
    page.select_option("[name=category]", "education")
    page.select_option("[name=urgency]", "urgent")
    page.locator("main form").first.get_by_role("button").first.click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.get_by_role("link", name=re.compile("Claim this need")).click()
    page.locator("main").get_by_role("button", name=re.compile("Claim it")).click()

    # 3. Pledges the money line and chooses bank transfer: a reference code to quote.
    page.goto(f"{base}/en/give/{listing.reference}/pledge/")
    page.locator("[name=line]").first.check()
    page.fill("[name=quantity]", "1500")
    page.locator("main form").get_by_role("button").last.click()
    page.locator("input[name=provider][value=offline]").check()
    page.locator("main form").get_by_role("button").last.click()
    payment = Payment.objects.get(pledge__donor__email="new.donor@example.org")
    expect(page.locator("main")).to_contain_text(payment.external_id)

    # 4. Station staff confirm the transfer with the bank's receipt number.
    page.context.clear_cookies()
    page.goto(f"{base}/en/accounts/login/")
    page.get_by_label(re.compile("^Email")).fill("station.staff@linli.local")
    page.get_by_label(re.compile("^Password:?$")).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    page.goto(f"{base}/en/staff/listings/{listing.pk}/")
    confirm = page.locator(f"form[action$='/staff/payments/{payment.pk}/confirm/']")
    confirm.locator("[name=receipt_number]").fill("ICBC-20261122-0001")
    confirm.get_by_role("button").click()
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.receipt.number.startswith("R")

    # 5. The listing is fully pledged, for everyone, in both languages.
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED
    page.context.clear_cookies()
    for language, label in (("en", "Fully pledged"), ("zh-hans", "已认满")):
        page.goto(f"{base}/{language}/give/{listing.reference}/")
        expect(page.locator("main")).to_contain_text(label)


def test_partial_stripe_pledge_moves_the_progress_bar_when_the_webhook_arrives(
    demo, page: Page, settings, monkeypatch
):
    import json
    import urllib.request

    import stripe

    from marketplace.payments import stripe as stripe_provider
    from tests.marketplace.test_payments_stripe import SECRET, FakeStripeHTTP, _event

    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    http = FakeStripeHTTP()  # Stripe's API in memory: the one seam
    real = stripe_provider.stripe_client
    monkeypatch.setattr(stripe_provider, "stripe_client", lambda: real(http_client=http))
    page.route(
        "https://checkout.stripe.com/**", lambda route: route.fulfill(body="Stripe Checkout (test)")
    )

    base = demo.url
    staff = User.objects.get(email="station.staff@linli.local")
    reviewer = User.objects.get(email="town.reviewer@linli.local")
    wish = make_wish(
        staff,
        Region.objects.get(code="dg-nc-ym"),
        status=Status.PUBLISHED,
        reviewer=reviewer,
        title="独居老人的冬季取暖费",
        needs=[NeedLine(kind="money", amount=Decimal("1000.00"))],
    )
    listing = Listing.objects.of(wish).get()

    # A second donor pledges ¥300 of ¥1,000 and pays by card on Stripe's page.
    page.goto(f"{base}/en/accounts/login/")
    page.get_by_label(re.compile("^Email")).fill("donor@linli.local")
    page.get_by_label(re.compile("^Password:?$")).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    page.goto(f"{base}/en/give/{listing.reference}/pledge/")
    page.locator("[name=line]").first.check()
    page.fill("[name=quantity]", "300")
    page.locator("main form").get_by_role("button").last.click()
    page.locator("input[name=provider][value=stripe]").check()
    page.locator("main form").get_by_role("button").last.click()
    expect(page.locator("body")).to_contain_text("Stripe Checkout (test)")
    payment = Payment.objects.get(pledge__line__listing=listing)
    assert payment.status == "pending" and payment.external_id.startswith("cs_test_")

    # Nothing moves on the success redirect; Stripe's signed webhook does it.
    page.goto(f"{base}/en/give/{listing.reference}/")
    expect(page.locator("main progress").first).to_have_attribute("value", "0")
    payload = json.dumps(_event("checkout.session.completed", payment, http))
    signature = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    request = urllib.request.Request(
        f"{base}/payments/stripe/webhook/",
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the live server
        assert response.status == 200
    for language in ("en", "zh-hans"):
        page.goto(f"{base}/{language}/give/{listing.reference}/")
        expect(page.locator("main progress").first).to_have_attribute("value", "30")
