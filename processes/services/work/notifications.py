"""Notifications: the one place that creates ``Notification`` rows and queues their delivery.

A notification is a row with a unique key written in the same transaction as the state change it
reports, so a retried task or a second sweep never doubles it; it is the person's entry in the
notification centre. Each channel of ``OPSFLOW_NOTIFICATION_CHANNELS`` (``processes.channels``; e-mail
first) gets a ``NotificationDelivery`` row in the same transaction (one INSERT for a batch), unique per
notification and channel, and its delivery is queued after commit (``processes.notification_deliver``).

An attempt first *claims* the row (pending and due -> sending, a conditional UPDATE committed on its own)
and only then calls the channel, so a task that runs twice, a retry racing the resend sweep or a second
sweep never sends through a channel twice. The answer is recorded on the row: ``sent``; ``skipped``
(the channel cannot reach the person, e-mail: no address; never retried); or a failure, retried with
exponential backoff (``next_attempt_at``) and ``failed`` with its error after ``MAX_ATTEMPTS``. A worker
that dies between the claim and the answer leaves the row ``sending``: that one message may be lost, never
sent twice; ``notifications_resend`` marks such rows ``failed`` after ``STUCK_AFTER`` so IT support sees
them, and re-queues the pending rows whose message was lost (broker down) or whose retry is due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ... import channels, tasks
from ...choices import NotificationDeliveryStatus as Status
from ...choices import NotificationKind
from ...models import Escalation, Notification, NotificationDelivery, WorkItem
from .clock import now

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Attempt n failed: wait BACKOFF_BASE * 2 ** (n - 1) seconds (1, 2, 4, 8, 16 minutes), at most BACKOFF_MAX.
BACKOFF_BASE = 60
BACKOFF_MAX = 3600
# A row left "sending" this long belonged to a worker that died mid-send (tasks are killed after 5 minutes).
STUCK_AFTER = timedelta(minutes=30)
# Consecutive failures after which a task stops and leaves the rest of its batch to its retry: a mail server
# that is away fails every message, and each would wait for its own time-out.
GIVE_UP_AFTER = 3
RESEND_BATCH = 1000


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


# Creating notifications
# ------------------------------------------------------------------------------


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
    _deliveries_create([notification])
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
    yet. Their deliveries are one more insert, and each channel gets one task after commit."""
    notifications = Notification.objects.bulk_create(
        [
            _escalation_notification(item=item, escalation=escalation, person=person, at=at)
            for item, escalation, people in fired
            for person in people
        ]
    )
    _deliveries_create(notifications)


def _deliveries_create(notifications: list[Notification]) -> None:
    """One delivery row per notification and configured channel (one INSERT), then one task per channel
    with something to send, after commit. A person the channel cannot reach is ``skipped`` at once."""
    rows = []
    queue: dict[str, list[int]] = {}
    for channel in channels.configured():
        for notification in notifications:
            reason = channel.skip(notification.user)
            if reason:
                rows.append(
                    NotificationDelivery(
                        notification=notification, channel=channel.name, status=Status.SKIPPED, last_error=reason
                    )
                )
            else:
                rows.append(NotificationDelivery(notification=notification, channel=channel.name))
                queue.setdefault(channel.name, []).append(notification.pk)
    if not rows:
        return
    NotificationDelivery.objects.bulk_create(rows)
    for name, ids in queue.items():
        transaction.on_commit(lambda name=name, ids=ids: enqueue(tasks.notification_deliver, ids, name))


def enqueue(task, *args, **options):
    """Send a Celery task after commit; a broker that is down must not fail the finished request
    (the rows are stored, and ``notifications_resend`` picks up what was never sent)."""
    try:
        if options:
            task.apply_async(args, **options)
        else:
            task.delay(*args)
    except Exception:
        logger.exception("could not queue %s%r", task.name, args)


# Delivering
# ------------------------------------------------------------------------------


@dataclass
class Delivered:
    """What one delivery task did; ``retry`` are the notifications to try again at ``retry_at``."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retry: list[int] = field(default_factory=list)
    retry_at: datetime | None = None


def _claim(delivery: NotificationDelivery, channel: channels.Channel, at: datetime) -> bool:
    with transaction.atomic():
        claimed = (
            NotificationDelivery.objects.filter(pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=at))
            .update(status=Status.SENDING, attempts=delivery.attempts + 1, attempted_at=at)
        )
        if claimed and channel.notification_field:
            Notification.objects.filter(pk=delivery.notification_id).update(**{channel.notification_field: at})
    delivery.attempts += 1
    return bool(claimed)


def _record(delivery: NotificationDelivery, channel: channels.Channel, **fields) -> None:
    """Record the answer of the attempt this worker claimed."""
    with transaction.atomic():
        NotificationDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING, attempts=delivery.attempts).update(
            **fields
        )
        if channel.notification_field and fields["status"] != Status.SENT:
            Notification.objects.filter(pk=delivery.notification_id).update(**{channel.notification_field: None})


def notification_deliver(*, notification_ids: list[int], channel: str, at: datetime | None = None) -> Delivered:
    """Deliver notifications through one channel, each at most once (see the module docstring).

    Pending rows that are not due yet (a retry waiting for its backoff) and rows another worker holds are
    left alone; a channel no longer in the setting delivers nothing (its rows stay pending)."""
    result = Delivered()
    chosen = channels.get(channel)
    if chosen is None:
        logger.warning(
            "notification channel %r is not configured: %d deliveries left pending", channel, len(notification_ids)
        )
        return result
    at = at or timezone.now()
    pending = list(
        NotificationDelivery.objects.select_related("notification__user")
        .filter(notification_id__in=notification_ids, channel=channel, status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=at))
        .order_by("pk")
    )
    if not pending:
        return result
    failures = 0
    with chosen.batch():
        for index, delivery in enumerate(pending):
            if failures >= GIVE_UP_AFTER:
                # untried: they keep their attempts and go with the retry
                result.retry.extend(d.notification_id for d in pending[index:])
                break
            if not _claim(delivery, chosen, at):
                continue  # sent already, not due, or another worker has it
            try:
                chosen.deliver(delivery.notification)
            except channels.Skipped as skipped:
                _record(delivery, chosen, status=Status.SKIPPED, last_error=str(skipped)[:1000], next_attempt_at=None)
                result.skipped += 1
            except Exception as exc:
                failures += 1
                error = f"{type(exc).__name__}: {exc}"[:1000]
                if delivery.attempts >= MAX_ATTEMPTS:
                    _record(delivery, chosen, status=Status.FAILED, last_error=error, next_attempt_at=None)
                    result.failed += 1
                    logger.error("notification %s via %s failed for good: %s", delivery.notification_id, channel, error)
                else:
                    retry_at = timezone.now() + backoff(delivery.attempts)
                    _record(delivery, chosen, status=Status.PENDING, last_error=error, next_attempt_at=retry_at)
                    result.retry.append(delivery.notification_id)
                    result.retry_at = min(result.retry_at or retry_at, retry_at)
                    logger.warning(
                        "notification %s via %s: attempt %s failed: %s",
                        delivery.notification_id,
                        channel,
                        delivery.attempts,
                        error,
                    )
            else:
                failures = 0
                _record(
                    delivery, chosen, status=Status.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
                )
                result.sent += 1
    if result.retry and result.retry_at is None:
        result.retry_at = timezone.now() + backoff(1)
    return result


def notification_email(*, notification_id: int) -> bool:
    """Send a notification's e-mail at most once; False when it was sent (or is being sent) already."""
    return notification_emails(notification_ids=[notification_id]) == 1


def notification_emails(*, notification_ids: list[int]) -> int:
    """Send the e-mails of notifications, each at most once, over one mail connection; returns how many."""
    return notification_deliver(notification_ids=notification_ids, channel="email").sent


@transaction.atomic
def notifications_mark_read(*, user, ids: list[int] | None = None, at=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=now(at))


def notifications_resend(*, older_than: timedelta = timedelta(minutes=2), inline: bool = False) -> int:
    """Queue again the pending deliveries of the last two days whose task was lost (broker down, a
    message dropped) or whose retry is due, one task per channel and batch; returns how many. Rows a dead
    worker left ``sending`` for ``STUCK_AFTER`` become ``failed`` (not sent again: nobody gets it twice).
    ``inline`` delivers them here instead of queueing."""
    current = timezone.now()
    cutoff = current - older_than
    stuck = NotificationDelivery.objects.filter(status=Status.SENDING, attempted_at__lte=current - STUCK_AFTER)
    stuck.update(
        status=Status.FAILED,
        next_attempt_at=None,
        last_error="The worker stopped while sending; not sent again, so that nobody receives it twice.",
    )
    names = [channel.name for channel in channels.configured()]
    due = list(
        NotificationDelivery.objects.filter(
            status=Status.PENDING,
            channel__in=names,
            notification__created_at__lte=cutoff,
            notification__created_at__gte=cutoff - timedelta(days=2),
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=current))
        .order_by("notification_id")
        .values_list("channel", "notification_id")[:RESEND_BATCH]
    )
    queue: dict[str, list[int]] = {}
    for name, notification_id in due:
        queue.setdefault(name, []).append(notification_id)
    for name, ids in queue.items():
        if inline:
            notification_deliver(notification_ids=ids, channel=name)
        else:
            enqueue(tasks.notification_deliver, ids, name)
    return len(due)
