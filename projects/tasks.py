"""Background work of projects. Tasks call services; each is idempotent."""

from celery import shared_task

from projects.services import reminders
from projects.services.consultations import consultations_close_due as close_due


@shared_task(acks_late=True)
def consultations_close_due() -> int:
    """Close consultations whose secretary did not close them in time (hourly)."""
    return close_due()


@shared_task
def projects_remind() -> tuple[int, int]:
    """Daily: deadline reminders for running projects and overdue notices, each sent once."""
    return reminders.projects_remind()
