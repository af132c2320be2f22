"""Deadline reminders: a running project's deadline is near (in working days), or passed."""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.models import User
from accounts.roles import Role
from accounts.workdays import working_days_between
from projects.models import RUNNING, Council, Project
from projects.services import notify


def projects_remind(*, today: date | None = None) -> tuple[int, int]:
    """Daily: remind the secretary and station staff once when a running project's deadline
    is within ``PROJECTS_REMIND_WORKING_DAYS`` working days; tell the town's reviewers once
    when it has passed. A conditional UPDATE decides who sends, so two runs at once send
    each mail once. Returns (reminders, overdue notices).
    """
    today = today or timezone.localdate()
    now = timezone.now()
    days = settings.PROJECTS_REMIND_WORKING_DAYS
    horizon = today + timedelta(days=days * 2 + 31)  # no stretch of days off is longer
    running = Project.objects.filter(status__in=RUNNING, deadline__isnull=False)
    reminded = overdue = 0
    soon = running.filter(reminded_at__isnull=True, deadline__gte=today, deadline__lte=horizon)
    for project in soon.select_related("community").order_by("pk"):
        if working_days_between(today, project.deadline) > days:
            continue
        with transaction.atomic():
            claimed = Project.objects.filter(pk=project.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            people = notify.holders(Role.STATION_STAFF, project.community)
            secretary = _secretary(project)
            if secretary is not None and secretary.pk not in {u.pk for u in people}:
                people.append(secretary)
            audit.record(
                actor=None,
                verb="project.reminded",
                target=project,
                region=project.community,
                data={"deadline": project.deadline.isoformat(), "recipients": len(people)},
            )
            notify.mail_on_commit(people, "reminder", project)
            reminded += 1
    late = running.filter(overdue_notified_at__isnull=True, deadline__lt=today)
    for project in late.select_related("community").order_by("pk"):
        with transaction.atomic():
            claimed = Project.objects.filter(
                pk=project.pk, overdue_notified_at__isnull=True
            ).update(overdue_notified_at=now)
            if not claimed:
                continue
            people = notify.holders(Role.TOWN_REVIEWER, project.community)
            audit.record(
                actor=None,
                verb="project.overdue",
                target=project,
                region=project.community,
                data={"deadline": project.deadline.isoformat(), "recipients": len(people)},
            )
            notify.mail_on_commit(people, "overdue", project)
            overdue += 1
    return reminded, overdue


def _secretary(project: Project) -> User | None:
    council = (
        Council.objects.select_related("secretary")
        .filter(community_id=project.community_id)
        .first()
    )
    return (
        council.secretary if council and council.secretary and council.secretary.is_active else None
    )
