"""Consultation pages: the public list and page (counts, never names), the ballot, the
council page, the secretary's page and its actions; exact query counts that do not grow
with rows; both languages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from projects.models import ConsultationStatus, ItemResult, Vote
from projects.services import consultations as services
from tests.projects.consultations_fixtures import meeting, tabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(councils):
    """Members with names that must never show on a public page."""
    for i, member in enumerate(councils.members):
        member.display_name = f"王委员{i}号"
        member.save(update_fields=["display_name"])
    return councils


FRAME = 3  # base.html: the Wagtail site, its menu, the site settings


def assert_constant(client, url, queries, grow, django_assert_num_queries):
    """*queries* of the page's own plus the frame, before and after *grow* adds rows."""
    client.get(url)  # warm per-process caches (content types, Wagtail locales, settings row)
    for step in (None, grow):
        if step is not None:
            step()
        with django_assert_num_queries(queries + FRAME):
            response = client.get(url)
        assert response.status_code == 200
    return response


def closed_meeting(councils, n: int = 2):
    """A closed meeting with *n* items, each voted 3 for / 1 against, attendance taken."""
    for _ in range(n):
        tabled(councils)
    consultation = meeting(councils, when="ended")
    sec = councils.secretary
    services.attendance_record(
        actor=sec, consultation=consultation, members=councils.members[:4], attendance_count=30
    )
    for item in consultation.items.all():
        for member, choice in zip(councils.members, ["for", "for", "for", "against"], strict=False):
            services.vote_record(
                actor=sec, item=item, member=member, choice=choice, channel="paper"
            )
    return services.consultation_close(actor=sec, consultation=consultation, summary="会议纪要")


# --- The public list ----------------------------------------------------------------------


def test_list_shows_upcoming_and_past_with_exact_queries(
    client, councils, django_assert_num_queries
):
    upcoming = meeting(councils, title="下月议事会")
    past = closed_meeting(councils, 1)
    url = reverse("projects:consultations")

    def grow():
        for _ in range(4):
            meeting(councils)
            closed_meeting(councils, 1)
        meeting(councils, council=councils.south)

    # regions for the filter, the count, the page (with items counted)
    html = assert_constant(client, url, 3, grow, django_assert_num_queries).content.decode()
    assert upcoming.title in html and past.title not in html
    html = assert_constant(
        client, url + "?when=past", 3, grow, django_assert_num_queries
    ).content.decode()
    assert past.title in html and upcoming.title not in html


def test_list_filters_by_community_and_has_an_empty_state(client, councils, city):
    north = meeting(councils, title="北一的会")
    south = meeting(councils, council=councils.south, title="南一的会")
    html = client.get(reverse("projects:consultations"), {"community": city.south_a.pk}).content
    html = html.decode()
    assert south.title in html and north.title not in html
    response = client.get(reverse("projects:consultations"), {"community": city.north_b.pk})
    assert response.status_code == 200
    assert 'class="empty"' in response.content.decode()


# --- The public page ------------------------------------------------------------------------


def test_closed_page_shows_counts_and_minutes_but_no_names(
    client, named, django_assert_num_queries
):
    consultation = closed_meeting(named, 2)
    url = reverse("projects:consultation", args=[consultation.pk])
    client.get(url)  # warm
    # the consultation (with members present), its items with decisions
    with django_assert_num_queries(2 + FRAME):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "会议纪要" in html
    item = consultation.items.first()
    assert item.result == ItemResult.PASSED
    assert item.proposal.reference in html
    for member in named.members + [named.resident]:
        assert member.email not in html
        assert member.display_name not in html
    # More items, same queries
    bigger = closed_meeting(named, 5)
    with django_assert_num_queries(2 + FRAME):
        html = client.get(reverse("projects:consultation", args=[bigger.pk])).content.decode()
    assert html.count("<li>") >= 5


def test_closed_page_in_english_with_the_decision(client, councils, city, english):
    from tests.projects.delivery_fixtures import decide

    consultation = closed_meeting(councils, 1)
    item = consultation.items.get()
    decide(councils, city, item=item)
    url = reverse("projects:consultation", args=[consultation.pk])
    assert url.startswith("/en/")
    html = client.get(url).content.decode()
    assert "Minutes" in html
    assert "3 for, 1 against, 0 abstaining, of 5 members." in html
    assert "budget ¥3,000.00" in html
    assert "to be completed within 6 months" in html
    assert "Council members present" in html


def test_open_page_says_until_when_and_links_members_to_their_ballot(client, councils):
    tabled(councils)
    consultation = meeting(councils, when="open")
    url = reverse("projects:consultation", args=[consultation.pk])
    ballot = reverse("projects:ballot", args=[consultation.pk])
    html = client.get(url).content.decode()
    assert ballot not in html
    client.force_login(councils.members[2])
    html = client.get(url).content.decode()
    assert ballot in html
    client.force_login(councils.south_members[0])
    assert ballot not in client.get(url).content.decode()


def test_unknown_consultation_is_404(client, councils):
    assert client.get(reverse("projects:consultation", args=[99999])).status_code == 404


# --- The ballot -----------------------------------------------------------------------------


def test_ballot_casts_and_changes_a_vote(client, councils, django_assert_num_queries):
    tabled(councils)
    consultation = meeting(councils, when="open")
    item = consultation.items.get()
    member = councils.members[3]
    client.force_login(member)
    url = reverse("projects:ballot", args=[consultation.pk])
    client.get(url)  # warm
    # session, user, scopes, consultation, items, the member's votes
    with django_assert_num_queries(6 + FRAME):
        assert client.get(url).status_code == 200
    response = client.post(url, {"item": item.pk, "choice": "for"})
    assert response.status_code == 302
    client.post(url, {"item": item.pk, "choice": "against"})
    assert Vote.objects.get(item=item, member=member).choice == "against"
    # More items and votes, same queries
    for _ in range(3):
        tabled(councils)
    bigger = meeting(councils, when="open")
    for other in bigger.items.all():
        services.vote_cast(actor=member, item=other, choice="abstain")
    with django_assert_num_queries(6 + FRAME):
        html = client.get(reverse("projects:ballot", args=[bigger.pk])).content.decode()
    assert html.count('type="radio"') == 3 * 3  # three items, three choices each


def test_ballot_outside_the_window_refuses_with_a_message(client, councils):
    consultation = meeting(councils)
    tabled(councils)  # goes on the upcoming meeting
    item = consultation.items.get()
    client.force_login(councils.members[1])
    url = reverse("projects:ballot", args=[consultation.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"item": item.pk, "choice": "for"})
    assert response.status_code == 409
    assert str(services.VotingClosed.message) in response.content.decode()
    assert not Vote.objects.exists()


def test_ballot_is_404_for_other_councils(client, councils):
    tabled(councils)
    consultation = meeting(councils, when="open")
    item = consultation.items.get()
    url = reverse("projects:ballot", args=[consultation.pk])
    for outsider in (councils.south_members[0], councils.resident, councils.station):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, {"item": item.pk, "choice": "for"}).status_code == 404
    assert not Vote.objects.exists()


def test_ballot_bad_input_is_400_not_500(client, councils):
    tabled(councils)
    consultation = meeting(councils, when="open")
    item = consultation.items.get()
    client.force_login(councils.members[1])
    url = reverse("projects:ballot", args=[consultation.pk])
    assert client.post(url, {"item": item.pk, "choice": "maybe"}).status_code == 400
    assert client.post(url, {"item": "x", "choice": "for"}).status_code == 404


# --- The council page -------------------------------------------------------------------------


def test_council_page_with_exact_queries(client, councils, django_assert_num_queries):
    closed = closed_meeting(councils, 1)
    upcoming = meeting(councils, title="下次会议")
    waiting = tabled(councils, title="等待上会的提议")  # goes on the upcoming meeting
    services.agenda_remove(actor=councils.secretary, item=upcoming.items.get())  # now waits
    client.force_login(councils.secretary)
    url = reverse("projects:council")
    client.get(url)  # warm
    # session, user, scopes, councils, waiting proposals, meetings
    with django_assert_num_queries(6 + FRAME):
        html = client.get(url).content.decode()
    assert closed.title in html and upcoming.title in html and waiting.title in html
    assert reverse("projects:consultation_manage", args=[upcoming.pk]) in html
    assert reverse("projects:consultation_create", args=[councils.north.pk]) in html
    for _ in range(3):
        meeting(councils)
        tabled(councils)
    with django_assert_num_queries(6 + FRAME):
        client.get(url)


def test_council_page_is_404_without_a_council(client, councils):
    client.force_login(councils.resident)
    assert client.get(reverse("projects:council")).status_code == 404
    client.force_login(councils.station)  # station staff of the community see it
    assert client.get(reverse("projects:council")).status_code == 200


# --- Calling a meeting ------------------------------------------------------------------------


def test_create_page_calls_a_meeting(client, councils):
    proposal = tabled(councils)
    client.force_login(councils.members[2])
    url = reverse("projects:consultation_create", args=[councils.north.pk])
    assert client.get(url).status_code == 200
    starts = timezone.localtime() + timedelta(days=2)
    data = {
        "form": "online",
        "title": "线上议事",
        "place": "线上",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(url, data)
    assert response.status_code == 302
    consultation = councils.north.consultations.get(title="线上议事")
    assert consultation.items.get().proposal == proposal
    # A window the wrong way round keeps what was typed
    bad = {**data, "title": "倒过来", "ends_at": data["starts_at"]}
    response = client.post(url, bad)
    assert response.status_code == 400
    assert "倒过来" in response.content.decode()
    client.force_login(councils.south_members[0])
    assert client.get(url).status_code == 404


# --- The secretary's page -------------------------------------------------------------------


def test_manage_page_with_exact_queries(client, councils, django_assert_num_queries):
    tabled(councils)
    consultation = meeting(councils, when="open")
    item = consultation.items.get()
    services.vote_cast(actor=councils.members[1], item=item, choice="for")
    client.force_login(councils.secretary)
    url = reverse("projects:consultation_manage", args=[consultation.pk])
    client.get(url)  # warm
    # session, user, scopes, consultation, items, members, votes, attendance, candidates
    with django_assert_num_queries(9 + FRAME):
        html = client.get(url).content.decode()
    assert councils.members[1].display_name in html  # a scoped staff page: names are fine
    for _ in range(3):
        tabled(councils)
    bigger = meeting(councils, when="open")
    for other in bigger.items.all():
        services.vote_cast(actor=councils.members[2], item=other, choice="against")
    with django_assert_num_queries(9 + FRAME):
        client.get(reverse("projects:consultation_manage", args=[bigger.pk]))


def test_manage_links_passed_decisions_to_be_recorded(client, councils):
    consultation = closed_meeting(councils, 1)
    item = consultation.items.get()
    client.force_login(councils.secretary)
    html = client.get(reverse("projects:consultation_manage", args=[consultation.pk])).content
    assert reverse("projects:decide", args=[item.pk]) in html.decode()


def test_manage_actions_record_and_close(client, councils):
    tabled(councils)
    consultation = meeting(councils, when="open")
    item = consultation.items.get()
    sec = councils.secretary
    client.force_login(sec)
    m = councils.members
    response = client.post(
        reverse("projects:vote_record", args=[consultation.pk]),
        {"item": item.pk, "member": m[4].pk, "choice": "abstain", "channel": "paper"},
    )
    assert response.status_code == 302
    assert Vote.objects.get(item=item, member=m[4]).recorded_by == sec
    response = client.post(
        reverse("projects:attendance", args=[consultation.pk]),
        {"members": [m[1].pk, m[4].pk], "attendance_count": "1"},
    )
    assert response.status_code == 400  # fewer people than members: re-rendered
    # Closing too early: a 409 page with the message and the summary kept
    response = client.post(
        reverse("projects:consultation_close", args=[consultation.pk]), {"summary": "草稿纪要"}
    )
    assert response.status_code == 409
    assert "草稿纪要" in response.content.decode()
    # Cancelling needs a reason
    response = client.post(reverse("projects:consultation_cancel", args=[consultation.pk]), {})
    assert response.status_code == 400
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.SCHEDULED


def test_manage_is_404_for_members_who_do_not_keep_minutes(client, councils):
    consultation = meeting(councils)
    for user in (councils.members[1], councils.south_members[0], councils.station):
        client.force_login(user)
        url = reverse("projects:consultation_manage", args=[consultation.pk])
        assert client.get(url).status_code == 404
    client.force_login(councils.reviewer)  # the town's reviewer keeps minutes too
    assert client.get(url).status_code == 200


def test_pages_render_in_chinese_by_default(client, councils):
    closed = closed_meeting(councils, 1)
    with translation.override("zh-hans"):
        url = reverse("projects:consultation", args=[closed.pk])
    assert url.startswith("/zh-hans/")
    assert client.get(url).status_code == 200
