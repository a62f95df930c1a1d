"""Celery tasks of the processes app: thin wrappers that load by id and call one service."""

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


@shared_task(name="processes.notification_email", bind=True, max_retries=5, default_retry_delay=60)
def notification_email(self, notification_id):
    from .services.work import notification_email as send

    try:
        return send(notification_id=notification_id)
    except OSError as exc:  # the mail server is away: try again later
        raise self.retry(exc=exc) from exc


@shared_task(name="processes.notification_emails", bind=True, max_retries=5, default_retry_delay=60)
def notification_emails(self, notification_ids):
    """The e-mails of one escalation chunk; a retry sends only those not sent yet."""
    from .services.work import notification_emails as send

    try:
        return send(notification_ids=notification_ids)
    except OSError as exc:  # the mail server is away: try again later
        raise self.retry(exc=exc) from exc


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
