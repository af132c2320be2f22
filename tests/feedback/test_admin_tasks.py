"""The read-only admin (no personal data in its lists) and the daily task."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import services, tasks
from feedback.models import Case, ConfirmationLink, FollowUp

pytestmark = pytest.mark.django_db


def test_admin_lists_are_read_only_and_hold_no_comments(
    client, superuser, delivered, north_staff, send
):
    link = send(delivered, north_staff)
    services.respond(
        token=link.raw_token, received=False, score=1, comment="秘密留言", complaint="秘密投诉"
    )
    client.force_login(superuser)
    for name in ("admin:feedback_rating_changelist", "admin:feedback_case_changelist"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        text = response.content.decode()
        assert "秘密留言" not in text and "秘密投诉" not in text
        assert delivered.reference in text
    case = Case.objects.get()
    assert client.post(
        reverse("admin:feedback_case_change", args=[case.pk]), {"status": "resolved"}
    ).status_code in (403, 200)
    case.refresh_from_db()
    assert case.status == "open"
    assert client.get(reverse("admin:feedback_rating_add")).status_code == 403


def test_daily_task_opens_follow_ups_once(delivered, north_staff, send):
    link = send(delivered, north_staff)
    ConfirmationLink.objects.filter(pk=link.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    assert tasks.follow_ups_open.delay().get() == 1
    assert tasks.follow_ups_open.delay().get() == 0
    assert FollowUp.objects.count() == 1
