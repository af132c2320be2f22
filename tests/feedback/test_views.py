"""The recipient's page (public, token in the URL) and the staff pages, in both languages."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from feedback import services
from feedback.models import Case, CaseStatus, ConfirmationLink, FollowUp, Rating
from tests.wishes.factories import SECRET_ADDRESS, SECRET_ID, SECRET_NAME, SECRET_PHONE

pytestmark = pytest.mark.django_db

SECRETS = (SECRET_NAME, SECRET_PHONE, "13912345678", SECRET_ADDRESS, SECRET_ID)
ANSWER = {"received": "yes", "score": "4", "comment": "谢谢", "complaint": ""}


def _url(token, language="zh-hans"):
    with translation.override(language):
        return reverse("feedback:respond", args=[token])


def _assert_private(response):
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text


@pytest.fixture
def link(delivered, north_staff, send):
    return send(delivered, north_staff)


def test_respond_page_signed_out_shows_title_and_radios(client, link, delivered):
    response = client.get(_url(link.raw_token))
    assert response.status_code == 200
    text = response.content.decode()
    assert delivered.title in text
    assert text.count('type="radio" name="score"') == 5
    assert text.count('type="radio" name="received"') == 2
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert '<html lang="zh-hans"' in text
    assert re.search(r'<style nonce="[A-Za-z0-9_-]{10,}">', text)  # allowed by the CSP
    _assert_private(response)


def test_respond_page_in_english(client, link):
    response = client.get(_url(link.raw_token, "en"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "How did it go?" in text
    assert '<html lang="en"' in text


def test_submit_then_thanks_and_link_is_gone(client, link):
    response = client.post(_url(link.raw_token), ANSWER)
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:thanks")
    rating = Rating.objects.get()
    assert (rating.score, rating.received, rating.comment) == (4, True, "谢谢")
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    again = client.post(_url(link.raw_token), ANSWER)
    assert again.status_code == 404
    assert Rating.objects.count() == 1


def test_missing_answer_keeps_input_and_answers_400(client, link):
    response = client.post(_url(link.raw_token), {"received": "yes", "comment": "留言保留"})
    assert response.status_code == 400
    assert "留言保留" in response.content.decode()
    assert not Rating.objects.exists()
    assert ConfirmationLink.objects.get().used_at is None


def test_complaint_from_the_page_opens_a_case(client, link):
    client.post(_url(link.raw_token), {**ANSWER, "score": "5", "complaint": "态度差"})
    assert Case.objects.get().rating.complaint == "态度差"


def test_unknown_used_and_expired_tokens_get_the_same_page(client, link, delivered, north_staff):
    pages = []
    pages.append(client.get(_url("A" * 43)))
    pages.append(client.get(_url("short")))
    ConfirmationLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    pages.append(client.get(_url(link.raw_token)))  # expired
    ConfirmationLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + timedelta(days=1), used_at=timezone.now()
    )
    pages.append(client.get(_url(link.raw_token)))  # used
    bodies = set()
    for page in pages:
        assert page.status_code == 404
        body = page.content.decode()
        assert delivered.title not in body
        # Only the nonce, the CSRF token and the page's own address may differ.
        body = re.sub(r'(nonce|value)="[A-Za-z0-9_-]{20,}"', "", body)
        bodies.add(re.sub(r"/feedback/r/[^/\"]*/", "/feedback/r/TOKEN/", body))
    assert len(bodies) == 1
    assert "This link cannot be used" in next(iter(bodies)) or "链接" in next(iter(bodies))


def test_guessing_is_throttled(client, settings):
    settings.GIVING_RATE_PER_IP = 5
    codes = [client.get(_url(f"guess{i:038d}")).status_code for i in range(7)]
    assert codes[:5] == [404] * 5
    assert codes[5:] == [429, 429]


# --- Staff pages ------------------------------------------------------------------------


@pytest.fixture
def follow_up(link):
    ConfirmationLink.objects.filter(pk=link.pk).update(
        created_at=timezone.now() - timedelta(days=20), expires_at=timezone.now()
    )
    services.follow_ups_open()
    return FollowUp.objects.get()


@pytest.fixture
def case(link):
    services.respond(token=link.raw_token, received=False, score=1, complaint="没收到")
    return Case.objects.get()


def test_follow_ups_page_scoped(client, follow_up, north_staff, south_staff, delivered):
    client.force_login(north_staff)
    response = client.get(reverse("feedback:follow_ups"))
    assert response.status_code == 200
    assert delivered.reference in response.content.decode()
    _assert_private(response)
    client.force_login(south_staff)
    response = client.get(reverse("feedback:follow_ups"))
    assert response.status_code == 200
    assert delivered.reference not in response.content.decode()
    assert client.get(reverse("feedback:follow_up", args=[follow_up.pk])).status_code == 404


def test_follow_ups_page_needs_delivery_role(client, follow_up, north_reviewer):
    client.force_login(north_reviewer)
    assert client.get(reverse("feedback:follow_ups")).status_code == 404
    assert client.get(reverse("feedback:follow_up", args=[follow_up.pk])).status_code == 404


def test_record_on_behalf_form(client, follow_up, north_staff):
    client.force_login(north_staff)
    url = reverse("feedback:follow_up", args=[follow_up.pk])
    page = client.get(url)
    assert page.status_code == 200
    _assert_private(page)
    assert (
        reverse("wishes:staff_detail", args=[follow_up.listing.source_id]) in page.content.decode()
    )
    bad = client.post(url, {"channel": "phone", "received": "yes", "comment": "保留我"})
    assert bad.status_code == 400
    assert "保留我" in bad.content.decode()
    response = client.post(url, {**ANSWER, "channel": "phone"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert rating.channel == "phone"
    assert rating.recorded_by == north_staff
    # Recording twice: the form is gone and a replayed POST is refused with a 409.
    assert client.post(url, {**ANSWER, "channel": "phone"}).status_code == 409
    assert Rating.objects.count() == 1


def test_case_queue_and_page_scoped(client, case, north_reviewer, south_reviewer, north_staff):
    client.force_login(north_reviewer)
    queue = client.get(reverse("feedback:cases"))
    assert queue.status_code == 200
    assert f"#{case.pk}" in queue.content.decode()
    page = client.get(reverse("feedback:case", args=[case.pk]))
    assert page.status_code == 200
    assert "没收到" in page.content.decode()
    _assert_private(page)
    client.force_login(south_reviewer)
    assert f"#{case.pk}<" not in client.get(reverse("feedback:cases")).content.decode()
    assert client.get(reverse("feedback:case", args=[case.pk])).status_code == 404
    assert (
        client.post(
            reverse("feedback:case", args=[case.pk]), {"to": "in_progress", "note": "x"}
        ).status_code
        == 404
    )
    client.force_login(north_staff)
    assert client.get(reverse("feedback:cases")).status_code == 404


def test_case_move_through_the_page(client, case, north_reviewer, english):
    client.force_login(north_reviewer)
    url = reverse("feedback:case", args=[case.pk])
    assert client.post(url, {"to": "in_progress", "note": ""}).status_code == 400
    assert client.post(url, {"to": "open", "note": "x"}).status_code == 400  # not offered
    response = client.post(url, {"to": "resolved", "note": "已补送"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    page = client.get(url).content.decode()
    assert "已补送" in page
    assert "Resolved" in page


def test_satisfaction_page_public_without_comments(client, link, case):
    response = client.get(reverse("feedback:satisfaction"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "没收到" not in text  # the complaint stays private
    _assert_private(response)
    assert "1.0" in text


def test_satisfaction_page_shows_a_donor_their_own_figure(
    client, city, north_staff, north_reviewer, deliver, send, english
):
    from tests.accounts.factories import UserFactory

    donor = UserFactory(email="giver@example.org")
    listing = deliver(north_staff, city.north_a, north_reviewer, donors=[donor])
    services.respond(token=send(listing, north_staff).raw_token, received=True, score=3)
    client.force_login(donor)
    text = client.get(reverse("feedback:satisfaction")).content.decode()
    assert "The listings you gave to" in text
    assert "Average score 3.0 from 1 ratings." in text


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_public_pages_in_both_languages(client, language):
    with translation.override(language):
        urls = [reverse("feedback:satisfaction"), reverse("feedback:thanks")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert f'<html lang="{language}"' in response.content.decode()
        assert url.startswith(f"/{language}/")
