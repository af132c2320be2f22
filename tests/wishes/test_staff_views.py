"""Staff pages of wishes: the queue, intake, the wish page and its actions, personal data,
the need-index formula. Every wish URL is a 404 for staff of another area."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from tests.wishes.factories import (
    SECRET_ADDRESS,
    SECRET_ID,
    SECRET_NAME,
    SECRET_NOTES,
    make_household,
    make_wish,
)
from wishes.models import (
    Status,
    Wish,
)

pytestmark = pytest.mark.django_db

SECRETS = (SECRET_NAME, SECRET_ID, SECRET_ADDRESS, SECRET_NOTES, "13912345678", "139 1234 5678")


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


@pytest.fixture
def more(city, make_user):
    """The other roles: city admin, north supervisor, volunteer, council member."""

    class More:
        admin = make_user(Role.CITY_ADMIN, city.city, email="admin@example.org")
        supervisor = make_user(Role.SUPERVISOR, city.north, email="supervisor@example.org")
        volunteer = make_user(Role.VOLUNTEER, city.north_a, email="volunteer@example.org")
        council = make_user(Role.COUNCIL_MEMBER, city.north_a, email="council@example.org")

    return More


def _no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def _get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


def _post(client, user, name, *args, **data):
    client.force_login(user)
    return client.post(reverse(name, args=args), data)


# --- The queue --------------------------------------------------------------------------


def test_queue_shows_the_area_only_and_no_personal_data(client, city, people, site):
    north = make_wish(people.north_staff, city.north_a, title="北区轮椅")
    make_wish(people.south_staff, city.south_a, title="南区助学")
    response = _get(client, people.north_reviewer, "wishes:queue")
    assert response.status_code == 200
    assert north.reference in response.text and "北区轮椅" in response.text
    assert "南区助学" not in response.text
    _no_secrets(response.text)


def test_queue_is_404_without_a_staff_role(client, city, people, more, site):
    for user in (people.resident, more.volunteer, more.council):
        assert _get(client, user, "wishes:queue").status_code == 404


def test_queue_filters_keep_their_values_and_sort(client, city, people, site, english):
    low = make_wish(people.north_staff, city.north_a, urgency="normal", title="普通的愿望")
    high = make_wish(people.north_staff, city.north_a, urgency="emergency", title="紧急的愿望")
    verified = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED, title="已核实")
    response = _get(client, people.north_reviewer, "wishes:queue", urgency="emergency")
    assert "紧急的愿望" in response.text and "普通的愿望" not in response.text
    assert '<option value="emergency" selected>' in response.text
    response = _get(client, people.north_reviewer, "wishes:queue", status="verified")
    assert verified.reference in response.text and low.reference not in response.text
    # need index (default): the emergency one first; newest: the last made first
    text = _get(client, people.north_reviewer, "wishes:queue").text
    assert text.index(high.reference) < text.index(low.reference)
    text = _get(client, people.north_reviewer, "wishes:queue", sort="newest").text
    assert text.index(verified.reference) < text.index(low.reference)


def test_queue_flags_overdue_and_filters_by_it(client, city, people, site, english):
    late = make_wish(people.north_staff, city.north_a, title="逾期的愿望")
    Wish.objects.filter(pk=late.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    make_wish(people.north_staff, city.north_a, title="按时的愿望")
    response = _get(client, people.north_staff, "wishes:queue", overdue="yes")
    assert "逾期的愿望" in response.text and "按时的愿望" not in response.text
    assert 'class="overdue"' in response.text and "overdue</span>" in response.text
    assert 'value="yes"' in response.text and "checked" in response.text


def test_queue_filters_by_community_within_scope(client, city, people, site):
    make_wish(people.north_staff, city.north_a, title="北一的愿望")
    response = _get(client, people.north_reviewer, "wishes:queue", community=city.north_b.pk)
    assert "北一的愿望" not in response.text
    response = _get(client, people.north_reviewer, "wishes:queue", community=city.north_a.pk)
    assert "北一的愿望" in response.text
    # A community outside the scope is not a choice: the filter is ignored, not an error.
    response = _get(client, people.north_reviewer, "wishes:queue", community=city.south_a.pk)
    assert response.status_code == 200 and "北一的愿望" in response.text


def test_queue_paginates_and_keeps_filters(client, city, people, site, english):
    household = make_household(city.north_a, people.north_staff)
    for _ in range(26):
        make_wish(people.north_staff, city.north_a, household=household)
    response = _get(client, people.north_staff, "wishes:queue", urgency="urgent")
    assert "Page 1 of 2" in response.text and "urgency=urgent&amp;page=2" in response.text


def test_queue_empty_state(client, city, people, site, english):
    response = _get(client, people.north_staff, "wishes:queue")
    assert response.status_code == 200 and "No wishes match these filters." in response.text


# --- Export -----------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_with_personal_data_for_staff_who_may_see_it(client, city, people, site):
    wish = make_wish(people.north_staff, city.north_a)
    make_wish(people.south_staff, city.south_a)
    response = _get(client, people.north_reviewer, "wishes:export")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    assert len(rows) == 2 and rows[1][0] == wish.reference
    assert any(cell.startswith(SECRET_NAME) for cell in rows[1])
    assert "4419**********123X" in rows[1] and SECRET_ID not in response.content.decode()
    event = AuditEvent.objects.get(verb="wish.export")
    assert event.actor == people.north_reviewer
    assert event.data["count"] == 1 and event.data["personal_data"] is True
    assert SECRET_NAME not in str(event.data)


def test_export_audit_keeps_only_recognised_filters(client, city, people, site):
    make_wish(people.north_staff, city.north_a)
    _get(client, people.north_staff, "wishes:export", urgency="urgent", note=SECRET_NAME)
    event = AuditEvent.objects.get(verb="wish.export")
    assert event.data["filters"] == {"urgency": "urgent"}


def test_export_without_personal_data_for_a_role_without_it(
    client, city, people, site, make_user, monkeypatch
):
    """Every staff role today may see private records in its area; a role that may only
    open the workspace (patched in here) gets the public columns only."""
    from accounts import roles
    from accounts.roles import Perm

    make_wish(people.north_staff, city.north_a)
    monkeypatch.setitem(
        roles.ROLE_PERMS, Role.SUPERVISOR, frozenset({Perm.WORKSPACE_VIEW, Perm.AUDIT_VIEW})
    )
    reader = make_user(Role.SUPERVISOR, city.north, email="reader@example.org")
    response = _get(client, reader, "wishes:export")
    rows = _rows(response)
    assert len(rows) == 2 and len(rows[0]) == 13 and len(rows[1]) == 13
    _no_secrets(response.content.decode("utf-8-sig"))
    event = AuditEvent.objects.get(verb="wish.export")
    assert event.data["count"] == 1 and event.data["personal_data"] is False


def test_export_personal_columns_only_where_the_user_may_see_them(
    client, city, people, site, make_user, superuser, monkeypatch
):
    """A user who may open the whole city's queue but see private records only in the
    north town gets personal columns on the north rows only."""
    from accounts import roles
    from accounts import services as account_services
    from accounts.roles import Perm

    north = make_wish(people.north_staff, city.north_a)
    south = make_wish(people.south_staff, city.south_a)
    monkeypatch.setitem(roles.ROLE_PERMS, Role.VOLUNTEER, frozenset({Perm.WORKSPACE_VIEW}))
    user = make_user(Role.VOLUNTEER, city.city, email="mixed@example.org")
    account_services.role_assign(
        actor=superuser, user=user, role=Role.SUPERVISOR, region=city.north, reason="test"
    )
    rows = {row[0]: row for row in _rows(_get(client, user, "wishes:export"))[1:]}
    assert rows[north.reference][13].startswith(SECRET_NAME)
    assert rows[south.reference][13:] == ["", "", "", ""]
    assert AuditEvent.objects.get(verb="wish.export").data["personal_rows"] == 1


def test_export_respects_filters_and_scope(client, city, people, site):
    make_wish(people.north_staff, city.north_a, urgency="normal")
    urgent = make_wish(people.north_staff, city.north_a, urgency="urgent")
    make_wish(people.south_staff, city.south_a, urgency="urgent")
    rows = _rows(_get(client, people.north_staff, "wishes:export", urgency="urgent"))
    assert [row[0] for row in rows[1:]] == [urgent.reference]


def test_export_neutralises_formulas(client, city, people, site):
    make_wish(people.north_staff, city.north_a, title="=HYPERLINK(1)")
    rows = _rows(_get(client, people.north_staff, "wishes:export"))
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_export_is_404_without_a_staff_role(client, city, people, more):
    assert _get(client, more.volunteer, "wishes:export").status_code == 404
    assert not AuditEvent.objects.filter(verb="wish.export").exists()


# --- The wish page ----------------------------------------------------------------------


def test_detail_shows_the_wish_its_score_and_steps(client, city, people, site, english):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    response = _get(client, people.north_reviewer, "wishes:staff_detail", wish.pk)
    assert response.status_code == 200
    text = response.text
    assert wish.title in text and "轮椅 × 1" in text
    assert "Why this score" in text and "Income below the minimum living standard" in text
    assert f"Scored with formula version {wish.need_index_version}." in text
    assert "Accepted by the station" in text and "Verified on a home visit" in text
    assert str(people.north_staff) in text  # the first-responsible officer
    assert reverse("wishes:review", args=[wish.pk]) in text
    assert reverse("wishes:household", args=[wish.pk]) in text
    _no_secrets(text)
    assert not AuditEvent.objects.filter(verb="household.view").exists()


def test_story_is_rendered_escaped(client, city, people, site):
    wish = make_wish(
        people.north_staff, city.north_a, story="<script>alert(1)</script> 需要一台轮椅出门。"
    )
    response = _get(client, people.north_staff, "wishes:staff_detail", wish.pk)
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_actions_shown_follow_status_and_permissions(client, city, people, more, site):
    accepted = make_wish(people.north_staff, city.north_a)
    verified = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)

    def actions(user, wish):
        text = _get(client, user, "wishes:staff_detail", wish.pk).text
        return {
            name
            for name in (
                "accept",
                "verify",
                "refer",
                "review",
                "reject",
                "send_back",
                "answer",
                "withdraw",
            )
            if reverse(f"wishes:{name}", args=[wish.pk]) in text
        }

    assert actions(people.north_staff, accepted) == {"verify", "refer", "reject", "withdraw"}
    assert actions(people.north_staff, verified) == {"refer", "withdraw"}
    assert actions(people.north_reviewer, verified) == {
        "refer",
        "review",
        "reject",
        "send_back",
        "withdraw",
    }
    assert actions(more.admin, verified) == {"review", "reject", "send_back"}
    assert actions(more.supervisor, verified) == set()
    text = _get(client, more.supervisor, "wishes:staff_detail", verified.pk).text
    assert reverse("wishes:household", args=[verified.pk]) in text


STAFF_WISH_URLS = [
    ("get", "wishes:staff_detail"),
    ("get", "wishes:household"),
    ("post", "wishes:accept"),
    ("post", "wishes:verify"),
    ("post", "wishes:refer"),
    ("post", "wishes:review"),
    ("post", "wishes:reject"),
    ("post", "wishes:send_back"),
    ("post", "wishes:answer"),
    ("post", "wishes:withdraw"),
    ("post", "wishes:aid_record"),
]


@pytest.mark.parametrize(("method", "name"), STAFF_WISH_URLS)
def test_every_staff_wish_url_is_404_for_another_area(client, city, people, more, method, name):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    url = reverse(name, args=[wish.pk])
    others = (people.south_staff, people.south_reviewer, people.resident)
    for user in (*others, more.volunteer, more.council):
        client.force_login(user)
        response = getattr(client, method)(url, {"reason": "x", "answer": "x"})
        assert response.status_code == 404, (user, name)
    assert Wish.objects.get(pk=wish.pk).status == Status.VERIFIED
    assert not AuditEvent.objects.filter(verb="household.view").exists()


def test_staff_wish_urls_need_sign_in(client, city, people):
    wish = make_wish(people.north_staff, city.north_a)
    for method, name in STAFF_WISH_URLS:
        response = getattr(client, method)(reverse(name, args=[wish.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_detail_page_element_ids_are_unique(client, city, people, site):
    """Several action forms share the page; labels must point at their own fields."""
    import re

    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    text = _get(client, people.north_reviewer, "wishes:staff_detail", wish.pk).text
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
