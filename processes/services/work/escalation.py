"""Escalation: work past its deadline goes up its policy's levels (``policy.py``), level by level.

One indexed query finds what is due (``escalation_sweep``); chunks go to Celery workers, each chunk
escalated in one transaction with bulk inserts (``escalate_items``), and item by item when a chunk
fails (``escalate_item``). Both walk an item's levels with the same ``due_levels``. Escalations have
a unique (item, level) key, so concurrent sweeps and retried tasks never double a level
(docs/benchmarks.md, "Mass overdue").
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from ... import tasks
from ...choices import EscalationTarget, Role
from ...models import Department, Escalation, WorkItem
from ...models.work import OPEN_STATUSES
from .. import webhooks
from .notifications import notify_escalations
from .policy import Policy, PolicyLevel, next_escalation, next_level, policy_levels

logger = logging.getLogger(__name__)

SWEEP_CHUNK = 200


def escalation_sweep(*, now: datetime | None = None, fan_out: bool = True) -> int:
    """Escalate every work item whose next escalation level is due; returns how many were due.

    Ids are read with one indexed query; chunks go to Celery workers (or run here when ``fan_out``
    is off or there is a single chunk). Each item is escalated under its own row lock and the
    unique (item, level) key, so concurrent sweeps and retried tasks never double a level. The
    database is the only record of what is due: a chunk that could not be queued (broker down) or
    whose worker died stays due, and the next sweep finds it again.
    """
    now = now or timezone.now()
    ids = list(
        WorkItem.objects.filter(next_escalation_at__lte=now, status__in=OPEN_STATUSES)
        .order_by("next_escalation_at")
        .values_list("pk", flat=True)
    )
    chunks = [ids[i : i + SWEEP_CHUNK] for i in range(0, len(ids), SWEEP_CHUNK)]
    if fan_out and len(chunks) > 1:
        transaction.on_commit(lambda: escalation_fan_out(chunks=chunks, now=now))
        return len(ids)
    return sum(escalate_items(item_ids=chunk, now=now) for chunk in chunks)


def escalation_fan_out(*, chunks: list[list[int]], now: datetime) -> None:
    """Queue one ``escalate_items`` task per chunk; what cannot be queued stays due for the next sweep."""
    for index, chunk in enumerate(chunks):
        try:
            tasks.escalate_items.delay(chunk, now.isoformat())
        except Exception:  # broker unreachable: the rest stays due in the database for the next sweep
            logger.exception(
                "could not queue escalation chunks; %s chunk(s) left for the next sweep", len(chunks) - index
            )
            return


class ChunkCache:
    """What every item of a chunk would ask again: departments with their heads, the directors, the
    webhook subscriptions that listen to escalations, and the policies read from the items' rows
    (read once per chunk)."""

    def __init__(self):
        self._departments = None
        self._directors = None
        self._webhooks = None
        self._policies: dict[str, Policy] = {}

    def departments(self) -> dict:
        if self._departments is None:
            self._departments = {d.pk: d for d in Department.objects.select_related("head")}
        return self._departments

    def directors(self) -> list:
        if self._directors is None:
            self._directors = _directors()
        return self._directors

    def webhooks(self) -> list:
        if self._webhooks is None:
            self._webhooks = webhooks.active_subscriptions(*webhooks.ESCALATION_EVENTS)
        return self._webhooks

    def policy(self, rows: list) -> Policy:
        """The typed policy of a work item's stored rows (items of one standard share one)."""
        key = repr(rows)
        if key not in self._policies:
            self._policies[key] = policy_levels(rows)
        return self._policies[key]


def due_levels(item: WorkItem, now: datetime, cache: ChunkCache) -> Iterator[PolicyLevel]:
    """The levels of an open item's policy that are due at ``now``, lowest first: the one walk of the
    chunk path and the single item. After the caller handled a level, the item stands at that level
    with its next escalation time; an item past its last level gets no next time."""
    if not item.is_open:
        return
    levels = cache.policy(item.escalation_policy)
    while item.next_escalation_at is not None and item.next_escalation_at <= now:
        level = next_level(levels, item.escalation_level)
        if level is None:
            item.next_escalation_at = None
            return
        yield level
        item.escalation_level = level.level
        item.next_escalation_at = next_escalation(item.due_at, levels, level.level)


def escalate_items(*, item_ids: list[int], now: datetime) -> int:
    """Escalate a chunk of work items (a sweep's Celery task); returns the levels fired.

    The whole chunk is one transaction: its due rows are locked at once (``SKIP LOCKED``: rows another
    sweep holds are that sweep's), and escalations, recipients and notifications are inserted in bulk.
    A worker killed half-way rolls the chunk back; it stays due for the redelivered task or the next
    sweep. Should the chunk fail, each item is tried on its own so one broken item stops no other.
    """
    try:
        return _escalate_chunk(item_ids=item_ids, now=now)
    except Exception:
        logger.exception("escalating %s work items at once failed; trying them one by one", len(item_ids))
    done = 0
    cache = ChunkCache()
    for item_id in item_ids:
        try:
            done += escalate_item(item_id=item_id, now=now, cache=cache)
        except Exception:  # one broken item must not stop the others
            logger.exception("escalating work item %s failed", item_id)
    return done


@transaction.atomic
def _escalate_chunk(*, item_ids: list[int], now: datetime) -> int:
    cache = ChunkCache()
    items = list(
        WorkItem.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("assignee__supervisor")
        .filter(pk__in=item_ids, next_escalation_at__lte=now, status__in=OPEN_STATUSES)
        .order_by("pk")
    )
    fired = []  # (item, level reached before, escalation, recipients)
    for item in items:
        for level in due_levels(item, now, cache):
            escalation = Escalation(
                work_item=item, level=level.level, target=level.target, created_at=now, due_at=item.due_at
            )
            fired.append((item, item.escalation_level, escalation, recipients(item, level.target, cache)))
    if not items:
        return 0
    # the row locks make these inserts conflict-free on PostgreSQL; on SQLite (no row locks) a
    # conflict fails the chunk, and escalate_items then takes the items one by one
    Escalation.objects.bulk_create([escalation for _item, _before, escalation, _people in fired])
    Escalation.recipients.through.objects.bulk_create(
        [
            Escalation.recipients.through(escalation=escalation, user=person)
            for _item, _before, escalation, people in fired
            for person in people
        ]
    )
    if cache.webhooks():
        for item, before, escalation, _people in fired:
            webhooks.emit_escalation(
                item=item, escalation=escalation, first=before == 0, subscriptions=cache.webhooks()
            )
    notify_escalations(fired=[(item, escalation, people) for item, _before, escalation, people in fired], at=now)
    groups: dict[tuple, list[int]] = {}
    for item in items:
        groups.setdefault((item.escalation_level, item.next_escalation_at), []).append(item.pk)
    changed = timezone.now()
    for (level, next_at), pks in groups.items():
        WorkItem.objects.filter(pk__in=pks).update(
            escalation_level=level, next_escalation_at=next_at, updated_at=changed
        )
    return len(fired)


@transaction.atomic
def escalate_item(*, item_id: int, now: datetime, cache: ChunkCache) -> int:
    """Fire every escalation level of one item that is due at ``now``; returns the levels fired."""
    try:
        item = (
            WorkItem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assignee__supervisor")
            .get(pk=item_id)
        )
    except WorkItem.DoesNotExist:
        return 0  # gone, or another sweep holds it right now
    fired = 0
    start = (item.escalation_level, item.next_escalation_at)
    for level in due_levels(item, now, cache):
        people = recipients(item, level.target, cache)
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(
                    work_item=item, level=level.level, target=level.target, created_at=now, due_at=item.due_at
                )
        except IntegrityError:
            continue  # fired by another sweep already (SQLite has no row locks)
        Escalation.recipients.through.objects.bulk_create(
            [Escalation.recipients.through(escalation=escalation, user=person) for person in people]
        )
        if cache.webhooks():
            webhooks.emit_escalation(
                item=item, escalation=escalation, first=item.escalation_level == 0, subscriptions=cache.webhooks()
            )
        notify_escalations(fired=[(item, escalation, people)], at=now)
        fired += 1
    if (item.escalation_level, item.next_escalation_at) != start:
        WorkItem.objects.filter(pk=item.pk).update(
            escalation_level=item.escalation_level,
            next_escalation_at=item.next_escalation_at,
            updated_at=timezone.now(),
        )
    return fired


def _department_head(department_id: int | None, cache: ChunkCache):
    departments = cache.departments()
    node = departments.get(department_id)
    while node is not None:
        if node.head_id and node.head.is_active:
            return node.head
        node = departments.get(node.parent_id)
    return None


def _directors():
    return list(get_user_model().objects.filter(groups__name=Role.OPERATIONS_DIRECTOR, is_active=True).order_by("pk"))


def recipients(item: WorkItem, target: str, cache: ChunkCache) -> list:
    """Who an escalation of ``item`` to ``target`` goes to; the operations directors when nobody fits."""
    people = []
    if target == EscalationTarget.SUPERVISOR:
        if item.assignee_id and item.assignee.supervisor_id and item.assignee.supervisor.is_active:
            people = [item.assignee.supervisor]
        else:
            head = _department_head(item.department_id, cache)  # nobody took it: the department's head
            people = [head] if head else []
    elif target == EscalationTarget.DEPARTMENT_HEAD:
        head = _department_head(item.department_id, cache)
        people = [head] if head else []
    if not people:
        people = cache.directors()
    return people
