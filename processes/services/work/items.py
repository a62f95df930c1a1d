"""Work items: claim, release, reassign, complete, report done, exceptions, and work outside runs.

Every change locks the item first (``locking.locked``: the run's viewflow lock, then the item's row),
so two requests never both complete a step. Times can be given (``at``) so imports, demos and tests
can place work in the past; they default to the present (``clock.now``).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.workflow.status import PROCESS, STATUS

from ... import access
from ...choices import NotificationKind, Role, RunStatus, WorkKind, WorkStatus
from ...constants import VIEW
from ...kinds import work_finished
from ...models import ExceptionPlan, Run, WorkItem
from ...models.work import OPEN_STATUSES
from ...selectors.calendar import deadline
from .. import webhooks
from .audit import audit, batched_history, save_audited
from .clock import clock_at, now, seconds
from .locking import Conflict, Visible, guarded, lock_item, locked
from .notifications import notify
from .permissions import can_claim, can_complete, can_do_role, can_reassign
from .policy import DEFAULT_ESCALATION, next_escalation, policy_rows

# Claiming, releasing, reassigning
# ------------------------------------------------------------------------------


@guarded
def item_claim(*, item: WorkItem, user, at=None, visible: Visible | None = None) -> WorkItem:
    at = now(at)
    with locked(item, visible) as (item, activation):
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
    audit(item, user).save()
    return True


@guarded
def item_release(*, item: WorkItem, user, at=None, visible: Visible | None = None) -> WorkItem:
    with locked(item, visible) as (item, activation):
        if not item.is_open or item.assignee_id is None:
            raise Conflict(_("This work is not taken by anyone."))
        if item.assignee_id != user.pk and not can_reassign(user, item):
            raise PermissionDenied(_("Only the person doing this work or a manager can release it."))
        item.assignee = None
        item.status = WorkStatus.OPEN
        audit(item, user).save()
        if activation is not None:
            activation.unassign()
    return item


@guarded
def item_reassign(*, item: WorkItem, user, to_user, at=None) -> WorkItem:
    """A manager hands the work to someone else; this stops the escalation chain."""
    at = now(at)
    with locked(item) as (item, activation):
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
        audit(item, user).save()
        if activation is not None:
            if activation.task.status == STATUS.NEW:
                activation.assign(to_user)
            else:
                activation.reassign(to_user)
        notify(
            user=to_user,
            kind=NotificationKind.ASSIGNED,
            key=f"assigned:{item.pk}:{to_user.pk}:{int(at.timestamp())}",
            item=item,
            subject_en=f"Assigned to you: {item.title_en}",
            subject_zh=f"分配给你：{item.title_zh or item.title_en}",
            at=at,
        )
    return item


# Completing
# ------------------------------------------------------------------------------


@guarded
def item_complete(
    *, item: WorkItem, user, checks: list[str] | None = None, note: str = "", at=None, visible: Visible | None = None
) -> WorkItem:
    """Finish a step (or a follow-up) with the quality checks the user ticked; the next step starts.
    ``visible``: see ``locking.locked``."""
    return complete(item=item, user=user, at=now(at), checks=checks, note=note, automatic=False, visible=visible)


@guarded
def item_report_done(*, item: WorkItem, user, at=None) -> WorkItem:
    """A REST client reports that an automatic step happened in its system."""
    if not item.automatic:
        raise ValidationError(_("Only automatic steps are reported by a system; people complete the others."))
    if not access.can(user, VIEW, item.department_id):
        raise PermissionDenied(_("You cannot report work of this department."))
    return complete(item=item, user=user, at=now(at), checks=None, note="", automatic=True)


def expected_checks(item, activation) -> list[tuple[str, str]]:
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


def apply_completion(item, user, at, checks, note, automatic, expected):
    """Check and write the completion of a locked item (``expected``: its checks, see
    ``expected_checks``); the caller moves the flow on. Project phases and gates use it too."""
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
    item.duration_seconds = seconds(item.created_at, at)
    item.waiting_seconds = seconds(item.created_at, item.started_at)
    item.working_seconds = seconds(item.started_at, at)
    item.on_time = None if item.due_at is None else at <= item.due_at
    save_audited(item, user, update_fields=COMPLETION_FIELDS)


# what a completion writes (the history row still records the whole item)
COMPLETION_FIELDS = (
    *("assignee", "assigned_at", "started_at", "status", "finished_at", "completed_by", "note"),
    *("checks_passed", "checks_failed", "checks_total", "next_escalation_at", "on_time"),
    *("duration_seconds", "waiting_seconds", "working_seconds", "process", "updated_at"),
)


def complete(*, item, user, at, checks, note, automatic, visible=None) -> WorkItem:
    """Complete ``item`` at ``at`` and move its run on: the core of ``item_complete``,
    ``item_report_done`` and a run start's trigger (``automatic``: done by a system, no person's checks)."""
    with clock_at(at), locked(item, visible) as (item, activation), batched_history():
        apply_completion(item, user, at, checks, note, automatic, expected_checks(item, activation))
        if activation is None:
            if item.run_id:
                run_finish_if_done(item.run_id, at)
            else:
                work_finished(item=item, user=user, at=at, note=note)
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
                run_finish_if_done(item.run_id, at)
    return item


def run_finish_if_done(run_id: int, at: datetime):
    """Close a run whose last open work item was just completed (inside that completion's transaction)."""
    run = Run.objects.select_for_update().get(pk=run_id)
    if run.status != RunStatus.ACTIVE:
        return
    if run.items.filter(status__in=OPEN_STATUSES).exists():
        return
    run.status = RunStatus.DONE
    run.finished_at = at
    run.cycle_seconds = seconds(run.started_at, at)
    run.on_time = not run.items.filter(on_time=False).exists()
    run.save(update_fields=["status", "finished_at", "cycle_seconds", "on_time", "updated_at"])
    webhooks.emit_run_completed(run=run)


# Work outside runs (pilot feedback actions, rollout milestones, reviews)
# ------------------------------------------------------------------------------


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
    levels=None,
    at=None,
) -> WorkItem:
    """Open a piece of work in a department's inbox (or an assignee's) with a deadline and the same
    escalation as run steps (``levels``: a policy, ``policy.DEFAULT_ESCALATION`` when not given).
    The creating app closes its own record when the item finishes (its kind's ``on_finished``)."""
    at = now(at)
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
        escalation_policy=policy_rows(levels),
        next_escalation_at=next_escalation(due_at, levels, 0),
    )
    if assignee is not None:
        item.assignee = assignee
        item.assigned_at = at
    audit(item, user).save()
    if assignee is not None and assignee.pk != getattr(user, "pk", None):
        notify(
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
        item = lock_item(item.pk)
        if item.is_open:
            item.status = WorkStatus.CANCELLED
            item.finished_at = now(at)
            item.next_escalation_at = None
            audit(item, user).save()
    return item


# Exceptions
# ------------------------------------------------------------------------------


@guarded
def exception_report(*, item: WorkItem, user, plan: ExceptionPlan, note: str = "", at=None) -> WorkItem:
    """Report an exception on a step by one of the version's plans: follow-up work with the plan's
    deadline, in the responsible department's queue (or the reporter's, when they belong there)."""
    at = now(at)
    with locked(item) as (item, _activation):
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
        next_escalation_at=next_escalation(due, levels, 0),
        escalation_policy=levels,
    )
    if can_do_role(user, follow_up.role, department_id):
        follow_up.assignee = user
        follow_up.status = WorkStatus.CLAIMED
        follow_up.assigned_at = follow_up.started_at = at
    audit(follow_up, user).save()
    if not run.has_exception:
        Run.objects.filter(pk=run.pk).update(has_exception=True)
    return follow_up
