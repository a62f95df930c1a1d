"""Celery tasks of the processes app: thin wrappers that load by id and call one service.

Each task imports its service inside the function: the services queue these tasks (they import this
module), so importing them here would be a cycle.
"""

from datetime import datetime

from celery import shared_task


@shared_task(name="processes.escalation_sweep")
def escalation_sweep():
    from .services.work import escalation_sweep as sweep

    return sweep()


@shared_task(name="processes.escalate_items", acks_late=True)
def escalate_items(item_ids, now_iso):
    from .services.work import escalate_items as escalate

    return escalate(item_ids=item_ids, now=datetime.fromisoformat(now_iso))


@shared_task(name="processes.notification_deliver", acks_late=True)
def notification_deliver(notification_ids, channel):
    """Deliver notifications through one channel; what failed is queued again at its backoff (the rows
    keep the attempts, so a retry, a duplicate message or the resend sweep never sends twice)."""
    from .services.work import notification_deliver as deliver
    from .services.work.notifications import enqueue

    result = deliver(notification_ids=notification_ids, channel=channel)
    if result.retry:
        enqueue(notification_deliver, result.retry, channel, eta=result.retry_at)
    return result.sent


# The e-mail tasks before the channels (issue 22): messages still queued when an install upgrades.
@shared_task(name="processes.notification_email", acks_late=True)
def notification_email(notification_id):
    return notification_deliver([notification_id], "email")


@shared_task(name="processes.notification_emails", acks_late=True)
def notification_emails(notification_ids):
    return notification_deliver(notification_ids, "email")


@shared_task(name="processes.notifications_resend")
def notifications_resend():
    from .services.work import notifications_resend as resend

    return resend()


@shared_task(name="processes.webhook_deliver", acks_late=True)
def webhook_deliver(delivery_id):
    from .services.webhooks import webhook_deliver as deliver

    return deliver(delivery_id=delivery_id)


@shared_task(name="processes.webhook_deliveries_due")
def webhook_deliveries_due():
    from .services.webhooks import webhook_deliveries_due as due

    return due()
