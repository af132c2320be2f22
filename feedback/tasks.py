"""Background work of the feedback app. Tasks call services and are idempotent."""

from celery import shared_task

from feedback import services


@shared_task
def follow_ups_open() -> int:
    """Daily: open a follow-up visit (回访) for each unanswered overdue or expired link."""
    return services.follow_ups_open()
