"""Every periodic job in the beat schedule names a task Celery knows: a misspelt name would
only show in production, as a job that never runs."""

import pytest
from django.conf import settings

from config.celery import app


@pytest.mark.django_db  # Celery's Django fix-up closes the database connections on import
def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names <= set(app.tasks), sorted(names - set(app.tasks))
    assert {"volunteers.tasks.shift_reminders_send", "feedback.tasks.follow_ups_open"} <= names
