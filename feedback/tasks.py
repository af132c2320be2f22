"""Background work of the feedback app. Tasks call services and are idempotent."""

from celery import shared_task

from feedback import services


@shared_task
def follow_ups_open() -> int:
    """Daily: open a follow-up visit (回访) for each unanswered overdue or expired link."""
    return services.follow_ups_open()


@shared_task(acks_late=True)
def impact_notify(listing_id: int) -> int:
    """Once a listing has its first rating: email its donors and sponsors, once.

    Not retried: the once-mark is written before the emails leave (a retry would send
    nothing), and a failing address is logged and skipped (``feedback.impact``)."""
    from feedback import impact

    return impact.impact_notify(listing_id)
