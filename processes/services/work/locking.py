"""Locking a work item for a change, and what a caller may see.

Every state change of a run takes the viewflow lock on the run's process first, then the work item's
row lock, so two requests never both complete a step. ``locked`` takes both in one query
(docs/benchmarks.md, "REST completions under load": 19 -> 13 queries, and the locking read compiled
once per process); ``guarded`` turns a lost race for the lock into a ``Conflict`` (HTTP 409).
"""

from __future__ import annotations

import functools
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from viewflow.workflow import lock as flow_lock
from viewflow.workflow.exceptions import FlowLockFailed

from opsflow.fastpath.compiled import CompiledRead

from ... import access
from ...models import WorkItem


class Conflict(Exception):
    """The work changed state under you (already completed, claimed by someone else...): HTTP 409."""


@dataclass(frozen=True)
class Visible:
    """The work a caller may see: their department scope's, and whatever is assigned to them."""

    departments: tuple[int, ...]
    user_id: int

    @property
    def q(self) -> Q:
        return Q(department__in=self.departments) | Q(assignee_id=self.user_id)


def visible_to(user) -> Visible | None:
    """What of the work ``user`` may see; ``None`` when they see every department's."""
    scope = access.department_scope(user)
    return None if scope is None else Visible(tuple(sorted(scope)), user.pk)


def lock_item(pk: int, visible: Visible | None = None) -> WorkItem:
    """The work item's row, locked and read afresh (work outside the flow: no run lock to take)."""
    query = WorkItem.objects.select_for_update()
    if visible is not None:
        query = query.filter(visible.q)
    return query.get(pk=pk)


# viewflow's select_for_update_lock waits 0.4-0.8 s after a failed NOWAIT attempt, then doubles; a
# step completion holds its locks for a few tens of milliseconds, so the second of two people acting
# on one run waited far longer than needed. Here the waits start at 10-20 ms and double, over about
# the same total time (5-10 s in 10 attempts) before giving up with a conflict.
LOCK_ATTEMPTS = 10
LOCK_FIRST_WAIT = 0.01


# What no change of a work item reads of its task and process (subprocesses, seeds, artifacts and
# permission-based owners are not used by these flows): not selected by the locking query, whose
# compilation is measured in docs/benchmarks.md ("the locking read compiled once per process").
# A save writes only the columns it has read.
_UNUSED_FLOW_COLUMNS = (
    *("flow_task__scheduled", "flow_task__external_task_id", "flow_task__owner_permission"),
    *("flow_task__owner_permission_content_type", "flow_task__owner_permission_obj_pk"),
    *("flow_task__seed_content_type", "flow_task__seed_object_id"),
    *("flow_task__artifact_content_type", "flow_task__artifact_object_id"),
    *("flow_task__process__parent_task", "flow_task__process__seed_content_type"),
    *("flow_task__process__seed_object_id", "flow_task__process__artifact_content_type"),
    "flow_task__process__artifact_object_id",
)


def locking_read(pk, departments=None, user_id=None):
    """The query that locks a work item's row with its run's process row (``NOWAIT``) and reads the
    item, its task and process; limited to ``departments``/``user_id`` when given (see ``Visible``)."""
    query = (
        WorkItem.objects.select_related("flow_task__process")
        .defer(*_UNUSED_FLOW_COLUMNS)
        .filter(pk=pk, flow_task__process__isnull=False)
    )
    if departments is not None:
        query = query.filter(Visible(departments, user_id).q)
    return query.order_by().select_for_update(nowait=True, of=("self", "flow_task__process"))


# compiled once per process (docs/benchmarks.md, "the locking read compiled once per process")
LOCKING_READ = CompiledRead(lambda pk: locking_read(pk))
LOCKING_READ_VISIBLE = CompiledRead(locking_read)


@contextmanager
def _run_and_item_lock(flow_class, process_pk, *, item_pk, visible, holder):
    """viewflow's lock (the process row, ``FOR UPDATE NOWAIT``, retried) taken together with the work
    item's row in one query that also reads the item, its task and process (a lock implementation for
    ``lock_scope``, which runs viewflow's deferred callbacks once the outermost lock is released).
    The item's row is also taken NOWAIT, so the two row locks can never deadlock with another order.
    Work outside the flow (no task) is then locked alone; none found raises ``DoesNotExist``."""
    for attempt in range(LOCK_ATTEMPTS):
        with transaction.atomic():
            try:
                if visible is None:
                    found = LOCKING_READ(item_pk)
                else:
                    found = LOCKING_READ_VISIBLE(item_pk, visible.departments, visible.user_id)
            except DatabaseError:
                if attempt == LOCK_ATTEMPTS - 1:
                    raise FlowLockFailed(f"Lock failed for {flow_class}") from None
            else:
                holder.append(found[0] if found else lock_item(item_pk, visible))
                yield
                return
        time.sleep(LOCK_FIRST_WAIT * 2**attempt * (1 + random.random()))  # noqa: S311 (jitter)  # nosec B311


@contextmanager
def locked(item: WorkItem, visible: Visible | None = None):
    """Lock a work item for a change: first the run's viewflow lock (it must be the outermost
    transaction: its NOWAIT retries need a real transaction, not a savepoint), then the item's row.
    Yields ``(item, activation)``; ``activation`` is None for work outside the flow (follow-ups).

    This is viewflow's ``task.activation()`` with fewer round trips: one query locks the process row
    and the item's row and reads the item, its task and process fresh (viewflow reads the task, takes
    the lock, then re-reads the task and the process; then the item was locked and re-read). Every
    flow here uses viewflow's ``select_for_update_lock``, the lock this reproduces.

    ``item`` needs only its primary key (a REST command passes ``WorkItem.from_db`` with the id
    alone); ``visible`` limits the rows to those the caller may see, so another department's work is
    not found (``DoesNotExist``) rather than read."""
    if "flow_task_id" in item.__dict__ and item.flow_task_id is None:  # known to be outside the flow
        with transaction.atomic():
            yield lock_item(item.pk, visible), None
        return
    holder = []
    lock_impl = functools.partial(_run_and_item_lock, item_pk=item.pk, visible=visible, holder=holder)
    with flow_lock.lock_scope(lock_impl, WorkItem, item.pk):
        found = holder[-1]
        task = found.flow_task
        if task is None:
            yield found, None
            return
        task_class = task.flow_task.flow_class.task_class
        if task_class is not type(task) and task_class._meta.concrete_model is type(task)._meta.concrete_model:
            task.__class__ = task_class  # the flow's proxy (RunTask), as viewflow's Task.coerced gives it
        yield found, task.flow_task.activation_class(task)


def guarded(func):
    """Map a lost race for the flow lock to a conflict the caller can retry."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FlowLockFailed:
            raise Conflict(_("Someone else is working on this run right now; try again.")) from None

    return wrapper
