"""Background work of the marketplace."""

from celery import shared_task

from marketplace import services


@shared_task
def reservations_expire() -> int:
    """Periodic tidy-up of lapsed pledges and claims (reads already ignore them)."""
    return services.reservations_expire()
