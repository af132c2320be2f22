"""Deadline reminders: once each, counted in mainland working days (holidays and make-up
working days), and once under concurrency."""

from datetime import date
from unittest import mock

import pytest
from django.core import mail

from accounts.models import AuditEvent
from projects.models import Project
from projects.services import delivery, reminders
from projects.tasks import projects_remind
from tests.projects.delivery_fixtures import approved

pytestmark = pytest.mark.django_db


def _due(project: Project, deadline: date) -> Project:
    # The approval date is "now"; move the deadline to the day the test needs.
    Project.objects.filter(pk=project.pk).update(deadline=deadline)
    project.refresh_from_db()
    return project


def test_a_reminder_across_national_day_counts_working_days(
    councils, city, django_capture_on_commit_callbacks
):
    # Given a deadline 16 calendar days away, but only 8 working days (1-7 October off,
    # Saturday 10 October a make-up working day)
    project = _due(approved(councils, city), date(2026, 10, 15))
    mail.outbox.clear()
    # When the daily job runs
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.projects_remind(today=date(2026, 9, 29)) == (1, 0)
    # Then the secretary and the community's station staff are reminded, once
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [councils.secretary.email, councils.station.email]
    )
    project.refresh_from_db()
    assert project.reminded_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.projects_remind(today=date(2026, 9, 30)) == (0, 0)
    assert len(mail.outbox) == 2


def test_no_reminder_when_as_many_calendar_days_hold_more_working_days(councils, city):
    # 16 calendar days in March are 12 working days: too early for a 10-day reminder
    _due(approved(councils, city), date(2026, 3, 18))
    assert reminders.projects_remind(today=date(2026, 3, 2)) == (0, 0)
    assert reminders.projects_remind(today=date(2026, 3, 4)) == (1, 0)  # 10 working days


def test_overdue_notice_goes_to_the_towns_reviewers_once(
    councils, city, django_capture_on_commit_callbacks
):
    project = _due(approved(councils, city), date(2026, 10, 15))
    Project.objects.filter(pk=project.pk).update(reminded_at=project.approved_at)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.projects_remind(today=date(2026, 10, 16)) == (0, 1)
    assert [m.to for m in mail.outbox] == [[councils.reviewer.email]]
    assert reminders.projects_remind(today=date(2026, 10, 17)) == (0, 0)
    assert AuditEvent.objects.filter(verb="project.overdue").count() == 1


def test_accepted_or_cancelled_projects_are_not_reminded(councils, city):
    project = _due(approved(councils, city), date(2026, 10, 15))
    delivery.project_cancel(actor=councils.reviewer, project=project, reason="取消")
    assert reminders.projects_remind(today=date(2026, 10, 20)) == (0, 0)


def test_the_task_calls_the_service():
    with mock.patch.object(reminders, "projects_remind", return_value=(0, 0)) as remind:
        assert projects_remind() == (0, 0)
    remind.assert_called_once_with()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(city, make_user):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("real-thread races run on PostgreSQL (CI); SQLite has one writer at a time")
    from tests.projects.world import project_councils

    councils = project_councils(city, make_user)
    for _ in range(3):
        _due(approved(councils, city), date(2026, 10, 15))

    def run():
        try:
            return reminders.projects_remind(today=date(2026, 9, 29))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: run(), range(4)))
    assert sum(r[0] for r in results) == 3
    assert AuditEvent.objects.filter(verb="project.reminded").count() == 3
