"""Celery tasks of pilots and rollout."""

from celery import shared_task

from .services.rollout import reviews_create_due


@shared_task(name="pilots.rollout_reviews")
def rollout_reviews() -> int:
    """Create the monitoring reviews whose period has ended (see ``reviews_create_due``)."""

    return reviews_create_due()
