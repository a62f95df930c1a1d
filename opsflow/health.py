"""Liveness of the pieces OpsFlow needs: the database and the Celery broker."""

import logging

from django.db import connections

from .celery import app as celery_app

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:
        logger.exception("health check: database is down")
        return False


def broker_ok(timeout: float = 2.0) -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
            # Declaring the default queue is a real round trip on every transport (for the filesystem
            # transport it touches the queue folder; for Redis it sends a command).
            conn.default_channel.queue_declare("celery", passive=False)
        return True
    except Exception:
        logger.exception("health check: broker is down")
        return False


def status() -> dict:
    checks = {"database": database_ok(), "broker": broker_ok()}
    result = {"status": "ok" if all(checks.values()) else "error"}
    result.update({name: "ok" if ok else "down" for name, ok in checks.items()})
    return result
