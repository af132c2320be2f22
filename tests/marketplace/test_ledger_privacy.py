"""Privacy of the public ledger: no recipient (the household behind a wish, the recipient's
bank account, an express payment's payee and account), no hidden donor, no email, no
staff member's free text, on any ledger page or download, in either language, signed in
or not.

``ledger_world`` plants the data where it is really stored (and a refund reason with a
name and a phone number in it, as a careless clerk might write one); the guard test
below proves it is there, so the searches prove something.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEvent, User
from marketplace.models import Disbursement, FundGrant, LedgerTransaction, PayeeKind
from tests.accounts.factories import UserFactory
from tests.marketplace.ledger_world import (
    DONOR_EMAIL_DOMAIN,
    EXPRESS_ACCOUNT,
    EXPRESS_PAYEE,
    HIDDEN_DONOR,
    RECIPIENT_ACCOUNT,
    REFUND_REASON,
    build,
)
from tests.wishes.factories import SECRET_ID, SECRET_NAME
from tests.wishes.test_privacy import assert_no_secrets

LANGUAGES = ("zh-hans", "en")
PLANTED = (
    RECIPIENT_ACCOUNT,
    EXPRESS_PAYEE,
    EXPRESS_ACCOUNT,
    HIDDEN_DONOR,
    DONOR_EMAIL_DOMAIN,
    REFUND_REASON,
    "REFUND-PRIVATE",
    "张隐私",
)


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


@pytest.fixture
def world(city, make_user, city_admin, city_fund, site):
    return build(city, make_user, city_admin, city_fund)


def _urls(world, city) -> list[str]:
    listings = (world.supplier_listing, world.wish_listing, world.open_listing)
    downloads = [
        ("ledger_download", []),
        ("ledger_fund_download", [world.city_fund.pk]),
        ("ledger_fund_download", [world.town_fund.pk]),
        ("campaign_download", [world.campaign.slug]),
        *[("listing_ledger_download", [listing.reference]) for listing in listings],
    ]
    urls = []
    for language in LANGUAGES:
        with translation.override(language):
            urls += [
                reverse("marketplace:ledger"),
                reverse("marketplace:ledger") + f"?town={city.north.pk}",
                reverse("marketplace:ledger_fund", args=[world.city_fund.pk]),
                reverse("marketplace:ledger_fund", args=[world.town_fund.pk]),
                reverse("marketplace:campaign_page", args=[world.campaign.slug]),
                reverse("marketplace:list"),
            ]
            for listing in listings:
                urls.append(reverse("marketplace:listing_ledger", args=[listing.reference]))
                urls.append(reverse("marketplace:detail", args=[listing.reference]))
            for name, args in downloads:
                for fmt in ("csv", "json"):
                    urls.append(reverse(f"marketplace:{name}", args=[*args, fmt]))
            urls.append(
                reverse("marketplace:ledger_download", args=["csv"]) + f"?town={city.north.pk}"
            )
    return urls


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.text


def _assert_private(text: str, url: str, emails: list[str]) -> None:
    assert_no_secrets(text, url, internal=False)
    for secret in (*PLANTED, *emails):
        assert secret not in text, f"{url} leaks {secret}"


@pytest.mark.django_db
def test_no_personal_data_on_the_ledger(client, world, city):
    emails = list(User.objects.values_list("email", flat=True))
    seen = []
    for url in _urls(world, city):
        response = client.get(url)
        assert response.status_code == 200, url
        text = _text(response)
        _assert_private(text, url, emails)
        seen.append(text)
    # The pages really show the ledger (else the test proves nothing).
    everything = "\n".join(seen)
    for shown in ("热心邻居", "爱心公司", "康复器材有限公司", "北城街道财政所", "东财〔2026〕1号"):
        assert shown in everything, shown
    assert world.refunded.reference in everything  # the refund's memo, instead of its reason


@pytest.mark.django_db
def test_no_personal_data_for_a_signed_in_visitor(client, world, city):
    emails = list(User.objects.values_list("email", flat=True))
    client.force_login(UserFactory(email="visitor@example.org"))
    for url in _urls(world, city):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_private(_text(response), url, [e for e in emails if e != "visitor@example.org"])


@pytest.mark.django_db
def test_the_planted_secrets_are_really_there(world):
    """Guard the guard: the private data the searches look for is stored."""
    household = world.wish.household
    household.refresh_from_db()
    assert household.id_number == SECRET_ID and household.head_name.startswith(SECRET_NAME)
    payout = Disbursement.objects.get(listing=world.wish_listing)
    assert (
        payout.payee_kind == PayeeKind.RECIPIENT and payout.recipient_account == RECIPIENT_ACCOUNT
    )
    grant = FundGrant.objects.get()
    assert grant.payee_name == EXPRESS_PAYEE and grant.payee_account == EXPRESS_ACCOUNT
    # The refund's reason is kept in the audit trail, never in the ledger's memo.
    assert AuditEvent.objects.filter(verb="payment.refund", reason=REFUND_REASON).exists()
    assert not LedgerTransaction.objects.filter(memo__contains=REFUND_REASON).exists()
    assert (
        world.open_listing.lines.get().pledges.filter(donor__display_name=HIDDEN_DONOR).count() == 0
    )
    assert world.wish_listing.lines.get().pledges.get(donor__display_name=HIDDEN_DONOR).anonymous
