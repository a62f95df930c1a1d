"""Running standards: runs, work items (inbox), exceptions, escalation and notifications.

Every state change of a run goes through here: the viewflow lock on the run's process is taken first,
then the work item's row lock, so two requests never both complete a step; escalations and
notifications are rows with unique keys written in the same transaction as the state change, so a
retried Celery task or a second sweep never doubles them. Times can be given (``at``/``now``) so
imports, demos and tests can place work in the past; they default to the present.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow import lock as flow_lock
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import PROCESS, STATUS

from opsflow.fastpath.compiled import CompiledRead
from opsflow.fastpath.history import batched_history as _batched_history
from opsflow.fastpath.history import save_with_history as _save_audited
from opsflow.fastpath.history import set_history_user as _audit

from .. import access
from ..calendar import deadline
from ..choices import EscalationTarget, NotificationKind, Role, RunStatus, VersionStatus, WorkKind, WorkStatus
from ..constants import REASSIGN_TASK, VIEW
from ..models import Department, Escalation, ExceptionPlan, Notification, Run, StandardVersion, WorkItem
from ..models.execution import OPEN_STATUSES
from ..signals import work_item_finished
from . import webhooks

logger = logging.getLogger(__name__)

_clock: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("opsflow_clock", default=None)

# Roles that may take any work of their department scope, whatever the step's role.
SUPERVISING_ROLES = (Role.MANAGER, Role.OPERATIONS_DIRECTOR, Role.ADMIN)


class Conflict(Exception):
    """The work changed state under you (already completed, claimed by someone else...): HTTP 409."""


def _now(at: datetime | None = None) -> datetime:
    return at or _clock.get() or timezone.now()


# Who may do what
# ------------------------------------------------------------------------------


def can_see(user, item: WorkItem) -> bool:
    return access.can(user, VIEW, item.department_id) or item.assignee_id == user.pk


def can_claim(user, item: WorkItem) -> bool:
    """Unassigned, open, manual work of the user's role in their department scope."""
    if item.automatic or item.status != WorkStatus.OPEN or item.assignee_id is not None:
        return False
    return can_do_role(user, item.role, item.department_id)


def can_do_role(user, role: str, department_id: int) -> bool:
    if not access.in_scope(user, department_id) or not access.user_roles(user):
        return False
    return access.has_role(user, role, *SUPERVISING_ROLES)


def can_complete(user, item: WorkItem) -> bool:
    if item.automatic or not item.is_open:
        return False
    if item.assignee_id is not None:
        return item.assignee_id == user.pk
    return can_claim(user, item)


def can_reassign(user, item: WorkItem) -> bool:
    return item.is_open and not item.automatic and access.can(user, REASSIGN_TASK, item.department_id)


# Runs
# ------------------------------------------------------------------------------


def _task_department(step_department_id: int, run_department_id: int, tree: dict[int, int | None]) -> int:
    """A step's work goes to the run's department when that department is (inside) the step's one:
    a run started by a regional sales team sends "Sales reviews" to that team, and "Warehouse
    confirms stock" to the warehouse."""
    node = run_department_id
    while node is not None:
        if node == step_department_id:
            return run_department_id
        node = tree.get(node)
    return step_department_id


def _step_specs(version: StandardVersion, run_department_id: int) -> list[dict]:
    tree = dict(Department.objects.values_list("pk", "parent_id"))
    return [
        {
            "id": step.pk,
            "title_en": step.name_en,
            "title_zh": step.name_zh,
            "department": _task_department(step.department_id, run_department_id, tree),
            "role": step.role,
            "limit": str(step.time_limit) if step.time_limit is not None else None,
            "unit": step.time_unit,
            "automatic": step.automatic,
            "checks": step.checks_en.strip(),
            "checks_zh": step.checks_zh.strip(),
        }
        for step in version.steps.all()
    ]


def escalation_levels(version: StandardVersion) -> list[list]:
    return [[e.level, e.target, str(e.after_hours)] for e in version.escalation_levels.all()]


@transaction.atomic
def run_start(
    *,
    version: StandardVersion,
    user,
    department=None,
    external_id: str = "",
    title: str = "",
    business_line: str = "",
    at=None,
) -> tuple[Run, bool]:
    """Start a run of a published version; with an ``external_id`` already used, return that run.

    Leading automatic steps (the trigger, e.g. "customer places the order online") are done at once.
    Returns ``(run, created)``.
    """
    from pilots.selectors import pilot as pilot_selectors

    from ..flows import RunFlow

    at = _now(at)
    department = department or version.process.department
    if not access.can(user, VIEW, department.pk):
        raise PermissionDenied(_("You cannot start runs for this department."))
    if external_id:
        existing = Run.objects.filter(version__process_id=version.process_id, external_id=external_id).first()
        if existing is not None:
            return existing, False
    # A pilot running in this department (and business line) on this day runs its trial version;
    # its control scope keeps the current standard. Both are attributed to the pilot.
    route = pilot_selectors.pilot_route(
        process_id=version.process_id, department_id=department.pk, business_line=business_line, at=at
    )
    if route is not None and route.version is not None:
        version = route.version
    elif version.status == VersionStatus.PILOTING:
        raise ValidationError(
            {"version": _("This version is on trial in a pilot: only runs in the pilot's scope and dates use it.")}
        )
    elif version.status != VersionStatus.PUBLISHED:
        raise ValidationError({"version": _("Only the published version of a standard can be run.")})
    steps = _step_specs(version, department.pk)
    if not steps:
        raise ValidationError({"version": _("This standard has no steps.")})
    run = Run(
        version=version,
        department=department,
        external_id=external_id,
        title=title,
        business_line=business_line,
        started_at=at,
        started_by=user,
    )
    run.full_clean(exclude=["flow_process"])
    try:
        with transaction.atomic():
            _audit(run, user).save()
    except IntegrityError:
        # the same external id was started at the same moment by another request
        return Run.objects.get(version=version, external_id=external_id), False
    if route is not None:
        pilot_selectors.pilot_attach_run(route=route, run=run)
    webhooks.emit_run_started(run=run)
    token = _clock.set(at)
    try:
        process = RunFlow.start.run(
            steps=steps, run_id=run.pk, process_id=version.process_id, levels=escalation_levels(version)
        )
        process.artifact = run
        process.save(update_fields=["artifact_content_type", "artifact_object_id"])
        run.flow_process_id = process.pk
        run.save(update_fields=["flow_process", "updated_at"])
        # the trigger: leading automatic steps are done by the start itself
        for item in run.items.order_by("position"):
            if not item.automatic:
                break
            _complete(item=item, user=user, at=at, checks=None, note="", automatic=True)
    finally:
        _clock.reset(token)
    return run, True


def step_task_created(*, activation) -> WorkItem:
    """viewflow onCreate of ``perform_step``: the step's work item, with its deadline."""
    process = activation.process
    index = activation.task.data["index"]
    spec = process.data["steps"][index]
    at = _now()
    due = None
    if spec["limit"] is not None and not spec["automatic"]:
        due = deadline(at, Decimal(spec["limit"]), spec["unit"])
    item = WorkItem(
        kind=WorkKind.STEP,
        run_id=process.data["run"],
        process_id=process.data.get("process"),  # runs started before it was kept: WorkItem.save finds it
        step_id=spec["id"],
        flow_task=activation.task,
        position=index + 1,
        title_en=spec["title_en"],
        title_zh=spec["title_zh"],
        department_id=spec["department"],
        role=spec["role"],
        automatic=spec["automatic"],
        created_at=at,
        due_at=due,
        next_escalation_at=_next_escalation(due, process.data["levels"], 0),
        escalation_policy=process.data["levels"],
    )
    _save_audited(item)
    return item


def _next_escalation(due: datetime | None, levels: list[list], reached: int) -> datetime | None:
    if due is None:
        return None
    for level, _target, after_hours in levels:
        if int(level) > reached:
            return due + timedelta(hours=float(after_hours))
    return None


# Work items
# ------------------------------------------------------------------------------


def _lock(pk: int, visible: Visible | None = None) -> WorkItem:
    """The work item's row, locked and read afresh."""
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
# compilation was a tenth of a step completion's CPU. A save writes only the columns it has read.
_UNUSED_FLOW_COLUMNS = (
    *("flow_task__scheduled", "flow_task__external_task_id", "flow_task__owner_permission"),
    *("flow_task__owner_permission_content_type", "flow_task__owner_permission_obj_pk"),
    *("flow_task__seed_content_type", "flow_task__seed_object_id"),
    *("flow_task__artifact_content_type", "flow_task__artifact_object_id"),
    *("flow_task__process__parent_task", "flow_task__process__seed_content_type"),
    *("flow_task__process__seed_object_id", "flow_task__process__artifact_content_type"),
    "flow_task__process__artifact_object_id",
)


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


def _locking_read(pk, departments=None, user_id=None):
    query = (
        WorkItem.objects.select_related("flow_task__process")
        .defer(*_UNUSED_FLOW_COLUMNS)
        .filter(pk=pk, flow_task__process__isnull=False)
    )
    if departments is not None:
        query = query.filter(Visible(departments, user_id).q)
    return query.order_by().select_for_update(nowait=True, of=("self", "flow_task__process"))


# compiled once per process (building this query's SQL was a sixth of a REST completion's CPU)
_LOCKING_READ = CompiledRead(lambda pk: _locking_read(pk))
_LOCKING_READ_VISIBLE = CompiledRead(_locking_read)


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
                    found = _LOCKING_READ(item_pk)
                else:
                    found = _LOCKING_READ_VISIBLE(item_pk, visible.departments, visible.user_id)
            except DatabaseError:
                if attempt == LOCK_ATTEMPTS - 1:
                    raise FlowLockFailed(f"Lock failed for {flow_class}") from None
            else:
                holder.append(found[0] if found else _lock(item_pk, visible))
                yield
                return
        time.sleep(LOCK_FIRST_WAIT * 2**attempt * (1 + random.random()))  # noqa: S311 (jitter)  # nosec B311


@contextmanager
def _locked(item: WorkItem, visible: Visible | None = None):
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
            yield _lock(item.pk, visible), None
        return
    holder = []
    lock_impl = functools.partial(_run_and_item_lock, item_pk=item.pk, visible=visible, holder=holder)
    with flow_lock.lock_scope(lock_impl, WorkItem, item.pk):
        locked = holder[-1]
        task = locked.flow_task
        if task is None:
            yield locked, None
            return
        task_class = task.flow_task.flow_class.task_class
        if task_class is not type(task) and task_class._meta.concrete_model is type(task)._meta.concrete_model:
            task.__class__ = task_class  # the flow's proxy (RunTask), as viewflow's Task.coerced gives it
        yield locked, task.flow_task.activation_class(task)


def _guarded(func):
    """Map a lost race for the flow lock to a conflict the caller can retry."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FlowLockFailed:
            raise Conflict(_("Someone else is working on this run right now; try again.")) from None

    return wrapper


@_guarded
def item_claim(*, item: WorkItem, user, at=None, visible: Visible | None = None) -> WorkItem:
    at = _now(at)
    with _locked(item, visible) as (item, activation):
        if _claim(item, user, at) and activation is not None:
            activation.assign(user)
    return item


def _claim(item, user, at) -> bool:
    if not item.is_open:
        raise Conflict(_("This work is already finished."))
    if item.assignee_id is not None:
        if item.assignee_id == user.pk:
            return False
        raise Conflict(_("%(name)s has already taken this work.") % {"name": item.assignee.display_name})
    if not can_claim(user, item):
        raise PermissionDenied(_("This work is for another role or department."))
    item.assignee = user
    item.status = WorkStatus.CLAIMED
    item.assigned_at = at
    item.started_at = item.started_at or at
    _audit(item, user).save()
    return True


@_guarded
def item_release(*, item: WorkItem, user, at=None, visible: Visible | None = None) -> WorkItem:
    with _locked(item, visible) as (item, activation):
        if not item.is_open or item.assignee_id is None:
            raise Conflict(_("This work is not taken by anyone."))
        if item.assignee_id != user.pk and not can_reassign(user, item):
            raise PermissionDenied(_("Only the person doing this work or a manager can release it."))
        item.assignee = None
        item.status = WorkStatus.OPEN
        _audit(item, user).save()
        if activation is not None:
            activation.unassign()
    return item


@_guarded
def item_reassign(*, item: WorkItem, user, to_user, at=None) -> WorkItem:
    """A manager hands the work to someone else; this stops the escalation chain."""
    at = _now(at)
    with _locked(item) as (item, activation):
        if not item.is_open:
            raise Conflict(_("This work is already finished."))
        if not can_reassign(user, item):
            raise PermissionDenied(_("Only a manager of this department can reassign work."))
        if not can_do_role(to_user, item.role, item.department_id):
            message = _("%(name)s does not hold this role in this department.") % {"name": to_user.display_name}
            raise ValidationError({"to_user": message})
        item.assignee = to_user
        item.status = WorkStatus.CLAIMED
        item.assigned_at = at
        item.started_at = item.started_at or at
        item.next_escalation_at = None  # reassigning stops the chain
        _audit(item, user).save()
        if activation is not None:
            if activation.task.status == STATUS.NEW:
                activation.assign(to_user)
            else:
                activation.reassign(to_user)
        _notify(
            user=to_user,
            kind=NotificationKind.ASSIGNED,
            key=f"assigned:{item.pk}:{to_user.pk}:{int(at.timestamp())}",
            item=item,
            subject_en=f"Assigned to you: {item.title_en}",
            subject_zh=f"分配给你：{item.title_zh or item.title_en}",
            at=at,
        )
    return item


@_guarded
def item_complete(
    *, item: WorkItem, user, checks: list[str] | None = None, note: str = "", at=None, visible: Visible | None = None
) -> WorkItem:
    """Finish a step (or a follow-up) with the quality checks the user ticked; the next step starts.
    ``visible``: see ``_locked``."""
    return _complete(item=item, user=user, at=_now(at), checks=checks, note=note, automatic=False, visible=visible)


@_guarded
def item_report_done(*, item: WorkItem, user, at=None) -> WorkItem:
    """A REST client reports that an automatic step happened in its system."""
    if not item.automatic:
        raise ValidationError(_("Only automatic steps are reported by a system; people complete the others."))
    if not access.can(user, VIEW, item.department_id):
        raise PermissionDenied(_("You cannot report work of this department."))
    return _complete(item=item, user=user, at=_now(at), checks=None, note="", automatic=True)


def _expected_checks(item, activation) -> list[tuple[str, str]]:
    """The step's quality checks as (English, Chinese) pairs, from the run's copy of its steps.

    A person may tick them in either language (the page shows the reader's); the result is stored
    in English, so metrics never depend on the language of whoever completed the step.
    """
    if not item.step_id:
        return []
    if activation is not None:
        spec = activation.process.data["steps"][item.position - 1]
        en_text, zh_text = spec.get("checks", ""), spec.get("checks_zh", "")
    else:
        en_text, zh_text = item.step.checks_en, item.step.checks_zh
    english = [line.strip() for line in en_text.splitlines() if line.strip()]
    chinese = [line.strip() for line in zh_text.splitlines() if line.strip()]
    return [(en, chinese[i] if i < len(chinese) else en) for i, en in enumerate(english)]


def _apply_completion(item, user, at, checks, note, automatic, expected):
    if item.automatic and not automatic:
        raise PermissionDenied(_("An automatic step is reported done by its system, not completed by a person."))
    if not item.is_open:
        raise Conflict(_("This work was already completed."))
    if not automatic and not can_complete(user, item):
        if item.assignee_id and item.assignee_id != user.pk:
            raise Conflict(_("%(name)s is doing this work.") % {"name": item.assignee.display_name})
        raise PermissionDenied(_("This work is for another role or department."))
    known = {text: en for en, zh in expected for text in (en, zh)}
    unknown = [c for c in (checks or []) if c not in known]
    if unknown:
        raise ValidationError({"checks": _("Unknown check: %(check)s") % {"check": unknown[0]}})
    ticked = list(dict.fromkeys(known[c] for c in (checks or [])))
    if not automatic and item.assignee_id is None:
        item.assignee = user
        item.assigned_at = at
    item.started_at = item.started_at or at
    item.status = WorkStatus.DONE
    item.finished_at = at
    item.completed_by = user
    item.note = note
    item.checks_passed = ticked
    item.checks_failed = len(expected) - len(ticked)
    item.checks_total = len(expected)
    item.next_escalation_at = None
    item.duration_seconds = _seconds(item.created_at, at)
    item.waiting_seconds = _seconds(item.created_at, item.started_at)
    item.working_seconds = _seconds(item.started_at, at)
    item.on_time = None if item.due_at is None else at <= item.due_at
    _save_audited(item, user, update_fields=COMPLETION_FIELDS)


# what a completion writes (the history row still records the whole item)
COMPLETION_FIELDS = (
    *("assignee", "assigned_at", "started_at", "status", "finished_at", "completed_by", "note"),
    *("checks_passed", "checks_failed", "checks_total", "next_escalation_at", "on_time"),
    *("duration_seconds", "waiting_seconds", "working_seconds", "process", "updated_at"),
)


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def _complete(*, item, user, at, checks, note, automatic, visible=None) -> WorkItem:
    token = _clock.set(at)
    try:
        with _locked(item, visible) as (item, activation), _batched_history():
            _apply_completion(item, user, at, checks, note, automatic, _expected_checks(item, activation))
            if activation is None:
                if item.run_id:
                    _finish_run_if_done(item.run_id, at)
                else:
                    work_item_finished.send(sender=WorkItem, item=item, user=user, at=at, note=note)
            else:
                process = activation.process
                task = activation.task
                if task.status == STATUS.NEW:
                    # what activation.assign() does, without its own write: the completion saves the task
                    task.owner = user
                    task.status = STATUS.ASSIGNED
                activation.start(None)
                activation.execute()
                if process.status == PROCESS.DONE:  # the flow reached its end: close the run
                    _finish_run_if_done(item.run_id, at)
    finally:
        _clock.reset(token)
    return item


def _finish_run_if_done(run_id: int, at: datetime):
    run = Run.objects.select_for_update().get(pk=run_id)
    if run.status != RunStatus.ACTIVE:
        return
    if run.items.filter(status__in=OPEN_STATUSES).exists():
        return
    run.status = RunStatus.DONE
    run.finished_at = at
    run.cycle_seconds = _seconds(run.started_at, at)
    run.on_time = not run.items.filter(on_time=False).exists()
    run.save(update_fields=["status", "finished_at", "cycle_seconds", "on_time", "updated_at"])
    webhooks.emit_run_completed(run=run)


# Work outside runs (pilot feedback actions, rollout milestones, reviews)
# ------------------------------------------------------------------------------

# Used when the work belongs to no standard with its own policy: the supervisor (or the department's
# head when nobody took it) 4 hours after the deadline, then the department head a day later.
DEFAULT_ESCALATION = [[1, EscalationTarget.SUPERVISOR.value, "4"], [2, EscalationTarget.DEPARTMENT_HEAD.value, "24"]]


def work_item_open(
    *,
    kind: str,
    department_id: int,
    title_en: str,
    title_zh: str = "",
    due_at: datetime | None,
    user,
    role: str = Role.OPS_STAFF,
    assignee=None,
    project=None,
    subject_url: str = "",
    note: str = "",
    levels: list[list] | None = None,
    at=None,
) -> WorkItem:
    """Open a piece of work in a department's inbox (or an assignee's) with a deadline and the same
    escalation as run steps. The creating app closes its own record on ``work_item_finished``."""
    at = _now(at)
    levels = DEFAULT_ESCALATION if levels is None else levels
    item = WorkItem(
        kind=kind,
        project=project,
        title_en=title_en[:300],
        title_zh=title_zh[:300],
        department_id=department_id,
        role=role,
        created_at=at,
        due_at=due_at,
        note=note,
        subject_url=subject_url,
        escalation_policy=levels,
        next_escalation_at=_next_escalation(due_at, levels, 0),
    )
    if assignee is not None:
        item.assignee = assignee
        item.assigned_at = at
    _audit(item, user).save()
    if assignee is not None and assignee.pk != getattr(user, "pk", None):
        _notify(
            user=assignee,
            kind=NotificationKind.ASSIGNED,
            key=f"assigned:{item.pk}:{assignee.pk}",
            item=item,
            subject_en=f"New work for you: {item.title_en}",
            subject_zh=f"新的待办：{item.title_zh or item.title_en}",
            at=at,
        )
    return item


def work_item_cancel(*, item: WorkItem, user, at=None) -> WorkItem:
    """Withdraw open work that is no longer needed (it stops escalating)."""
    with transaction.atomic():
        item = _lock(item.pk)
        if item.is_open:
            item.status = WorkStatus.CANCELLED
            item.finished_at = _now(at)
            item.next_escalation_at = None
            _audit(item, user).save()
    return item


# Exceptions
# ------------------------------------------------------------------------------


@_guarded
def exception_report(*, item: WorkItem, user, plan: ExceptionPlan, note: str = "", at=None) -> WorkItem:
    """Report an exception on a step by one of the version's plans: follow-up work with the plan's
    deadline, in the responsible department's queue (or the reporter's, when they belong there)."""
    at = _now(at)
    with _locked(item) as (item, _activation):
        return _exception_report(item=item, user=user, plan=plan, note=note, at=at)


def _exception_report(*, item, user, plan, note, at) -> WorkItem:
    run = item.run
    if run is None or plan.version_id != run.version_id:
        raise ValidationError({"plan": _("Choose one of this standard's exception plans.")})
    if not item.is_open:
        raise Conflict(_("This work is already finished."))
    if not (item.assignee_id == user.pk or can_claim(user, item) or can_reassign(user, item)):
        raise PermissionDenied(_("Only the person doing this work can report an exception on it."))
    department_id = plan.department_id or item.department_id
    due = deadline(at, plan.response_limit, plan.response_unit)
    levels = item.escalation_policy
    follow_up = WorkItem(
        kind=WorkKind.EXCEPTION,
        run=run,
        process_id=item.process_id,
        parent=item,
        exception_plan=plan,
        position=item.position,
        title_en=f"{plan.trigger_en}: {plan.action_en}".strip(": "),
        title_zh=f"{plan.trigger_zh or plan.trigger_en}：{plan.action_zh or plan.action_en}",
        department_id=department_id,
        role=item.role,
        created_at=at,
        due_at=due,
        note=note,
        next_escalation_at=_next_escalation(due, levels, 0),
        escalation_policy=levels,
    )
    if can_do_role(user, follow_up.role, department_id):
        follow_up.assignee = user
        follow_up.status = WorkStatus.CLAIMED
        follow_up.assigned_at = follow_up.started_at = at
    _audit(follow_up, user).save()
    if not run.has_exception:
        Run.objects.filter(pk=run.pk).update(has_exception=True)
    return follow_up


# Escalation
# ------------------------------------------------------------------------------

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
        transaction.on_commit(lambda: _fan_out(chunks=chunks, now=now))
        return len(ids)
    return sum(escalate_items(item_ids=chunk, now=now) for chunk in chunks)


def _fan_out(*, chunks: list[list[int]], now: datetime) -> None:
    from ..tasks import escalate_items as escalate_items_task

    for index, chunk in enumerate(chunks):
        try:
            escalate_items_task.delay(chunk, now.isoformat())
        except Exception:  # broker unreachable: the rest stays due in the database for the next sweep
            logger.exception(
                "could not queue escalation chunks; %s chunk(s) left for the next sweep", len(chunks) - index
            )
            return


class _ChunkCache:
    """What every item of a chunk would ask again: departments with their heads, the directors, and
    the webhook subscriptions that listen to escalations (read once per chunk)."""

    def __init__(self):
        self._departments = None
        self._directors = None
        self._webhooks = None

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
    cache = _ChunkCache()
    for item_id in item_ids:
        try:
            done += escalate_item(item_id=item_id, now=now, cache=cache)
        except Exception:  # one broken item must not stop the others
            logger.exception("escalating work item %s failed", item_id)
    return done


@transaction.atomic
def _escalate_chunk(*, item_ids: list[int], now: datetime) -> int:
    from ..tasks import notification_emails as notification_emails_task

    cache = _ChunkCache()
    items = list(
        WorkItem.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("assignee__supervisor")
        .filter(pk__in=item_ids, next_escalation_at__lte=now, status__in=OPEN_STATUSES)
        .order_by("pk")
    )
    fired = []  # (item, level reached before, escalation, recipients)
    for item in items:
        levels = item.escalation_policy
        while item.next_escalation_at is not None and item.next_escalation_at <= now:
            level = next((row for row in levels if int(row[0]) > item.escalation_level), None)
            if level is None:
                item.next_escalation_at = None
                break
            number, target = int(level[0]), level[1]
            escalation = Escalation(work_item=item, level=number, target=target, created_at=now, due_at=item.due_at)
            fired.append((item, item.escalation_level, escalation, _recipients(item, target, cache)))
            item.escalation_level = number
            item.next_escalation_at = _next_escalation(item.due_at, levels, number)
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
    notifications = Notification.objects.bulk_create(
        [
            _escalation_notification(item=item, escalation=escalation, person=person, at=now)
            for item, _before, escalation, people in fired
            for person in people
        ]
    )
    groups: dict[tuple, list[int]] = {}
    for item in items:
        groups.setdefault((item.escalation_level, item.next_escalation_at), []).append(item.pk)
    changed = timezone.now()
    for (level, next_at), pks in groups.items():
        WorkItem.objects.filter(pk__in=pks).update(
            escalation_level=level, next_escalation_at=next_at, updated_at=changed
        )
    emails = [n.pk for n in notifications if n.user.email]
    if emails:
        transaction.on_commit(lambda: _enqueue(notification_emails_task, emails))
    return len(fired)


@transaction.atomic
def escalate_item(*, item_id: int, now: datetime, cache: _ChunkCache) -> int:
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
    levels = item.escalation_policy
    start = (item.escalation_level, item.next_escalation_at)
    while item.is_open and item.next_escalation_at is not None and item.next_escalation_at <= now:
        level = next((row for row in levels if int(row[0]) > item.escalation_level), None)
        if level is None:
            item.next_escalation_at = None
            break
        number, target = int(level[0]), level[1]
        recipients = _recipients(item, target, cache)
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(
                    work_item=item, level=number, target=target, created_at=now, due_at=item.due_at
                )
        except IntegrityError:
            escalation = None  # fired by another sweep already (SQLite has no row locks)
        if escalation is not None:
            Escalation.recipients.through.objects.bulk_create(
                [Escalation.recipients.through(escalation=escalation, user=person) for person in recipients]
            )
            if cache.webhooks():
                webhooks.emit_escalation(
                    item=item, escalation=escalation, first=item.escalation_level == 0, subscriptions=cache.webhooks()
                )
            _notify_escalation(item=item, escalation=escalation, recipients=recipients, at=now)
            fired += 1
        item.escalation_level = number
        item.next_escalation_at = _next_escalation(item.due_at, levels, number)
    if (item.escalation_level, item.next_escalation_at) != start:
        WorkItem.objects.filter(pk=item.pk).update(
            escalation_level=item.escalation_level,
            next_escalation_at=item.next_escalation_at,
            updated_at=timezone.now(),
        )
    return fired


def _department_head(department_id: int | None, cache: _ChunkCache):
    departments = cache.departments()
    node = departments.get(department_id)
    while node is not None:
        if node.head_id and node.head.is_active:
            return node.head
        node = departments.get(node.parent_id)
    return None


def _directors():
    return list(get_user_model().objects.filter(groups__name=Role.OPERATIONS_DIRECTOR, is_active=True).order_by("pk"))


def _recipients(item: WorkItem, target: str, cache: _ChunkCache) -> list:
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


# Notifications
# ------------------------------------------------------------------------------


def _notify(*, user, kind, key, item=None, escalation=None, subject_en, subject_zh, at) -> Notification | None:
    from ..tasks import notification_email as notification_email_task

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
        transaction.on_commit(lambda: _enqueue(notification_email_task, notification.pk))
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


def _notify_escalation(*, item: WorkItem, escalation: Escalation, recipients: list, at: datetime) -> None:
    """One notification per recipient of an escalation that was just created, in one insert: their
    keys hold the new escalation's id, so none of them can exist yet."""
    from ..tasks import notification_emails as notification_emails_task

    notifications = Notification.objects.bulk_create(
        [_escalation_notification(item=item, escalation=escalation, person=person, at=at) for person in recipients]
    )
    emails = [n.pk for n in notifications if n.user.email]
    if emails:
        transaction.on_commit(lambda: _enqueue(notification_emails_task, emails))


def _enqueue(task, *args):
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
    from django.core.mail import EmailMessage, get_connection
    from django.urls import reverse
    from django.utils import translation

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
    return qs.update(read_at=_now(at))


def notifications_resend(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Queue again the e-mails of notifications that were never sent (lost message, broker down)."""
    from ..tasks import notification_email as notification_email_task

    cutoff = timezone.now() - older_than
    ids = list(
        Notification.objects.filter(
            emailed_at__isnull=True, created_at__lte=cutoff, created_at__gte=cutoff - timedelta(days=2)
        )
        .exclude(user__email="")
        .values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        _enqueue(notification_email_task, pk)
    return len(ids)
