from celery import shared_task
from django.core.cache import cache
from django.utils import timezone


@shared_task(name="opsflow.heartbeat")
def heartbeat():
    """Record that a worker ran a beat-scheduled task (read by operators)."""
    cache.set("opsflow:heartbeat", timezone.now().isoformat(), timeout=None)
