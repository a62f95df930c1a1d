"""Celery tasks of the metrics app."""

from celery import shared_task

from .services.reviews import reviews_due


@shared_task(name="metrics.periodic_reviews")
def periodic_reviews():
    """Open the review of the month or quarter just ended for every project in continuous optimization."""

    return reviews_due()
