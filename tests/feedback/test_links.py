"""One-time links: sent, single use, expiring, unguessable, stored only as a hash."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import sms
from accounts.errors import NotPermitted
from accounts.models import AuditEvent
from feedback import services
from feedback.exceptions import InvalidScore, LinkNotValid, LinkStillOpen, NotDelivered
from feedback.models import ConfirmationLink, Rating, RatingChannel, hash_token
from marketplace.models import Listing, ListingStatus
from tests.wishes.factories import SECRET_PHONE

pytestmark = pytest.mark.django_db

TOKEN_IN_URL = re.compile(r"/feedback/r/([A-Za-z0-9_-]+)/")


def test_request_sends_sms_with_absolute_url_and_stores_only_the_hash(
    delivered, north_staff, send, settings
):
    link = send(delivered, north_staff)
    assert len(sms.outbox) == 1
    message = sms.outbox[0]
    assert message.to == SECRET_PHONE
    token = TOKEN_IN_URL.search(message.body).group(1)
    assert message.body.count(f"{settings.SITE_URL}/zh-hans/feedback/r/{token}/") == 1
    assert delivered.title in message.body
    assert token == link.raw_token
    stored = ConfirmationLink.objects.get(pk=link.pk)
    assert stored.token_hash == hash_token(token)
    assert token not in {str(v) for v in ConfirmationLink.objects.values().get(pk=link.pk).values()}
    assert stored.household_id is not None
    assert stored.expires_at - stored.created_at == timedelta(days=14)  # the default


def test_link_days_setting_is_used(delivered, north_staff, send, settings):
    settings.FEEDBACK_LINK_DAYS = 3
    link = send(delivered, north_staff)
    assert link.expires_at - link.created_at == timedelta(days=3)


def test_token_entropy_and_uniqueness(delivered, north_staff, send, deliver, city, north_reviewer):
    tokens = {send(delivered, north_staff).raw_token}
    for _ in range(4):
        tokens.add(send(deliver(north_staff, city.north_a, north_reviewer), north_staff).raw_token)
    assert len(tokens) == 5
    for token in tokens:
        # token_urlsafe(32): 32 random bytes = 256 bits, 43 URL-safe characters.
        assert len(token) == 43
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)


def test_email_channel_goes_to_the_requester(city, north_staff, north_reviewer, make_user, send):
    from decimal import Decimal

    from tests.wishes.factories import make_household
    from wishes import services as wishes
    from wishes.models import Route
    from wishes.services import NeedLine

    requester = make_user(email="asker@example.org")
    wish = wishes.wish_submit(
        user=requester,
        household=make_household(city.north_a, requester),
        title="助听器",
        story="需要助听器。",
        category="elder_care",
        urgency="normal",
        needs=[NeedLine(kind="money", amount=Decimal("300"))],
    )
    wish = wishes.wish_accept(actor=north_staff, wish=wish)
    wish = wishes.wish_verify(
        actor=north_staff, wish=wish, visited_on=timezone.localdate(), notes="ok"
    )
    wish = wishes.wish_approve(
        actor=north_reviewer,
        wish=wish,
        route=Route.DIRECT,
        reason="ok",
        duplicate_reason="ok",
        express_amount=None,
        policy_department="",
        policy_due_on=None,
    )
    wishes.wish_publish(wish=wish, now=wish.notice_ends_at + timedelta(seconds=1))
    listing = Listing.objects.of(wish).get()
    Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.DELIVERED)
    link = send(listing, north_staff, channel="email")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["asker@example.org"]
    assert link.raw_token in mail.outbox[0].body
    assert not sms.outbox


def test_only_station_staff_of_the_community_may_send(delivered, south_staff, north_reviewer):
    for outsider in (south_staff, north_reviewer):
        with pytest.raises(NotPermitted):
            services.confirmation_request(listing=delivered, actor=outsider)
    assert not ConfirmationLink.objects.exists()


def test_not_before_delivery(delivered, north_staff):
    Listing.objects.filter(pk=delivered.pk).update(status=ListingStatus.FULLY_PLEDGED)
    with pytest.raises(NotDelivered):
        services.confirmation_request(listing=delivered, actor=north_staff)


def test_no_second_open_link_to_the_same_household(delivered, north_staff, send):
    send(delivered, north_staff)
    with pytest.raises(LinkStillOpen):
        services.confirmation_request(listing=delivered, actor=north_staff)


def test_a_new_link_after_the_old_one_expired(delivered, north_staff, send):
    first = send(delivered, north_staff)
    ConfirmationLink.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(days=20),
        expires_at=timezone.now() - timedelta(days=6),
    )
    second = send(delivered, north_staff)
    assert second.pk != first.pk


def test_respond_creates_one_rating_and_second_submission_is_refused(delivered, north_staff, send):
    link = send(delivered, north_staff)
    rating = services.respond(token=link.raw_token, received=True, score=5, comment="很好")
    assert rating.link_id == link.pk
    assert rating.channel == RatingChannel.LINK
    assert rating.recorded_by is None
    assert rating.listing_id == delivered.pk
    link.refresh_from_db()
    assert link.used_at is not None
    with pytest.raises(LinkNotValid):
        services.respond(token=link.raw_token, received=True, score=1)
    assert Rating.objects.count() == 1


def test_expired_link_is_refused(delivered, north_staff, send):
    link = send(delivered, north_staff)
    later = link.expires_at + timedelta(seconds=1)
    with pytest.raises(LinkNotValid):
        services.respond(token=link.raw_token, received=True, score=4, now=later)
    assert not Rating.objects.exists()
    # Just before the end it still works.
    services.respond(token=link.raw_token, received=True, score=4, now=later - timedelta(seconds=2))
    assert Rating.objects.count() == 1


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 500])
def test_unknown_token_is_refused(delivered, north_staff, send, token):
    send(delivered, north_staff)
    with pytest.raises(LinkNotValid):
        services.respond(token=token, received=True, score=4)
    assert not Rating.objects.exists()


def test_unknown_used_and_expired_raise_the_same_error(delivered, north_staff, send):
    used = send(delivered, north_staff)
    services.respond(token=used.raw_token, received=True, score=5)
    errors = []
    for token, now in [
        (used.raw_token, None),
        ("nope" * 10, None),
        (used.raw_token, timezone.now() + timedelta(days=30)),
    ]:
        with pytest.raises(LinkNotValid) as caught:
            services.respond(token=token, received=True, score=3, now=now)
        errors.append((caught.value.code, caught.value.status, str(caught.value)))
    assert len(set(errors)) == 1


@pytest.mark.parametrize("score", [0, 6, -1, "x", None])
def test_score_must_be_1_to_5(delivered, north_staff, send, score):
    link = send(delivered, north_staff)
    with pytest.raises(InvalidScore):
        services.respond(token=link.raw_token, received=True, score=score)
    link.refresh_from_db()
    assert link.used_at is None  # a bad answer does not burn the link


def test_audit_and_logs_hold_no_personal_data_or_token(delivered, north_staff, send, caplog):
    caplog.set_level("DEBUG")
    link = send(delivered, north_staff)
    services.respond(
        token=link.raw_token, received=False, score=1, comment="送错了", complaint="没收到"
    )
    events = AuditEvent.objects.filter(verb__startswith="feedback.")
    assert {e.verb for e in events} >= {
        "feedback.link_sent",
        "feedback.rated",
        "feedback.case.opened",
    }
    household = link.household
    dump = " ".join(
        f"{e.target_label} {e.reason} {e.data} {e.actor_label}" for e in AuditEvent.objects.all()
    )
    for secret in (
        link.raw_token,
        household.head_name,
        SECRET_PHONE,
        "13912345678",
        household.address,
    ):
        assert secret not in dump
        assert secret not in caplog.text
    assert "送错了" not in dump and "没收到" not in dump
    assert f"feedback link {link.pk} sent by sms" in caplog.text


def test_no_new_link_once_the_respondent_answered(delivered, north_staff, send):
    from feedback.exceptions import AlreadyAnswered

    link = send(delivered, north_staff)
    services.respond(token=link.raw_token, received=True, score=5)
    ConfirmationLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    with pytest.raises(AlreadyAnswered):
        services.confirmation_request(listing=delivered, actor=north_staff)
