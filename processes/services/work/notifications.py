"""Notifications: the one place that creates ``Notification`` rows and queues their delivery.

A notification is a row with a unique key written in the same transaction as the state change it
reports, so a retried task or a second sweep never doubles it; its e-mail is queued after commit and
sent at most once (``notification_emails``); ``notifications_resend`` picks up what was never sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ... import tasks
from ...choices import NotificationKind
from ...models import Escalation, Notification, WorkItem
from .clock import now

logger = logging.getLogger(__name__)


def notify(*, user, kind, key, item=None, escalation=None, subject_en, subject_zh, at) -> Notification | None:
    """Notify ``user`` once per ``key``; None when that key was notified already."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                kind=kind,
                key=key,
                work_item=item,
                escalation=escalation,
                subject_en=subject_en[:300],
                subject_zh=subject_zh[:300],
                created_at=at,
            )
    except IntegrityError:
        return None  # already notified
    if user.email:
        transaction.on_commit(lambda: enqueue(tasks.notification_email, notification.pk))
    return notification


def _escalation_notification(*, item: WorkItem, escalation: Escalation, person, at: datetime) -> Notification:
    number = escalation.level
    return Notification(
        user=person,
        kind=NotificationKind.ESCALATION,
        key=f"escalation:{escalation.pk}:{person.pk}",
        work_item=item,
        escalation=escalation,
        subject_en=f"Overdue (level {number}): {item.title_en}"[:300],
        subject_zh=f"超时升级（第 {number} 级）：{item.title_zh or item.title_en}"[:300],
        created_at=at,
    )


def notify_escalations(*, fired: list[tuple[WorkItem, Escalation, list]], at: datetime) -> None:
    """One notification per recipient of escalations that were just created ``(item, escalation,
    recipients)``, in one insert: their keys hold the new escalations' ids, so none of them can exist
    yet. Their e-mails go to one task after commit."""
    notifications = Notification.objects.bulk_create(
        [
            _escalation_notification(item=item, escalation=escalation, person=person, at=at)
            for item, escalation, people in fired
            for person in people
        ]
    )
    emails = [n.pk for n in notifications if n.user.email]
    if emails:
        transaction.on_commit(lambda: enqueue(tasks.notification_emails, emails))


def enqueue(task, *args):
    """Send a Celery task after commit; a broker that is down must not fail the finished request
    (the row is stored, and ``notifications_resend`` picks up what was never e-mailed)."""
    try:
        task.delay(*args)
    except Exception:
        logger.exception("could not queue %s%r", task.name, args)


def notification_email(*, notification_id: int) -> bool:
    """Send a notification's e-mail at most once; False when it was sent (or is being sent) already."""
    return notification_emails(notification_ids=[notification_id]) == 1


def notification_emails(*, notification_ids: list[int]) -> int:
    """Send the e-mails of notifications, each at most once, over one mail connection; returns how many.

    Each row is marked as e-mailed (a conditional update, committed on its own) *before* its message
    goes to the mail server: a worker killed after that point, or a message delivered twice, never
    sends it again. A mail server that refuses clears the mark so the task can retry; only a worker
    dying between the mark and the hand-over loses that one e-mail, and the notification itself stays
    in the user's inbox.
    """
    pending = list(
        Notification.objects.select_related("user")
        .filter(pk__in=notification_ids, emailed_at__isnull=True)
        .exclude(user__email="")
        .order_by("pk")
    )
    if not pending:
        return 0
    sent = 0
    with get_connection() as mail:
        for notification in pending:
            user = notification.user
            with translation.override(user.language or settings.LANGUAGE_CODE):
                subject = notification.subject
                link = (
                    reverse("work:item-detail", args=[notification.work_item_id]) if notification.work_item_id else ""
                )
                body = _("%(subject)s\n\nOpen it in OpsFlow: %(link)s") % {"subject": subject, "link": link}
            message = EmailMessage(subject, body, None, [user.email])
            # mark, then hand over at once: the window in which a dying worker loses the e-mail is the send
            claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
            if not claimed:
                continue  # another worker sends it
            try:
                mail.send_messages([message])
            except Exception:
                Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
                raise
            sent += 1
    return sent


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None, at=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now(at))


def notifications_resend(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue again the e-mails of notifications that were never sent (lost message, broker down)."""
    cutoff = timezone.now() - older_than
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__lte=cutoff, created_at__gte=cutoff - timedelta(days=2)
        )
        .exclude(user__email="")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        enqueue(tasks.notification_email, pk)
    return len(ids)
