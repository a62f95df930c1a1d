"""Runs: starting a published standard version, and the work item each of its steps becomes.

A run copies its version's steps (``step_specs``) and escalation policy into the viewflow process, so
a later edit of the standard never changes a run under way; viewflow then creates each step's task,
and ``step_task_created`` its work item with its deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ... import access
from ...choices import EscalationTarget, VersionStatus, WorkKind
from ...constants import VIEW
from ...flows import RunFlow
from ...models import Department, Run, StandardVersion, WorkItem
from ...selectors.calendar import deadline
from .. import webhooks
from .audit import audit, save_audited
from .clock import clock_at, now
from .items import complete
from .policy import Policy, PolicyLevel, next_escalation, policy_levels, policy_rows


@dataclass(frozen=True)
class RunRoute:
    """Where a router sends a run being started: ``version`` to run instead of the one asked for (None:
    that one), and ``attach(run)``, called once the run is stored, to record who routed it."""

    version: StandardVersion | None
    attach: Callable[[Run], None]


# Routers an upper app registers in its ready() (pilots: a pilot's trial version in its scope and
# dates), so the kernel imports no app above processes. A router is called as
# ``router(process_id=, department_id=, business_line=, at=)`` and returns a RunRoute or None.
_ROUTERS: list[Callable[..., RunRoute | None]] = []


def run_router_register(router: Callable[..., RunRoute | None]) -> None:
    if router not in _ROUTERS:
        _ROUTERS.append(router)


def _route(**where) -> RunRoute | None:
    for router in _ROUTERS:
        route = router(**where)
        if route is not None:
            return route
    return None


def task_department(step_department_id: int, run_department_id: int, tree: dict[int, int | None]) -> int:
    """A step's work goes to the run's department when that department is (inside) the step's one:
    a run started by a regional sales team sends "Sales reviews" to that team, and "Warehouse
    confirms stock" to the warehouse."""
    node = run_department_id
    while node is not None:
        if node == step_department_id:
            return run_department_id
        node = tree.get(node)
    return step_department_id


def step_specs(version: StandardVersion, run_department_id: int) -> list[dict]:
    """The run's copy of its version's steps (stored in the viewflow process's data)."""
    tree = dict(Department.objects.values_list("pk", "parent_id"))
    return [
        {
            "id": step.pk,
            "title_en": step.name_en,
            "title_zh": step.name_zh,
            "department": task_department(step.department_id, run_department_id, tree),
            "role": step.role,
            "limit": str(step.time_limit) if step.time_limit is not None else None,
            "unit": step.time_unit,
            "automatic": step.automatic,
            "checks": step.checks_en.strip(),
            "checks_zh": step.checks_zh.strip(),
        }
        for step in version.steps.all()
    ]


def escalation_levels(version: StandardVersion) -> Policy:
    """The escalation policy of a standard version (empty when it defines none)."""
    return tuple(
        PolicyLevel(e.level, EscalationTarget(e.target), e.after_hours) for e in version.escalation_levels.all()
    )


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
    at = now(at)
    department = department or version.process.department
    if not access.can(user, VIEW, department.pk):
        raise PermissionDenied(_("You cannot start runs for this department."))
    if external_id:
        existing = Run.objects.filter(version__process_id=version.process_id, external_id=external_id).first()
        if existing is not None:
            return existing, False
    # A pilot running in this department (and business line) on this day runs its trial version;
    # its control scope keeps the current standard. Both are attributed to the pilot.
    route = _route(process_id=version.process_id, department_id=department.pk, business_line=business_line, at=at)
    if route is not None and route.version is not None:
        version = route.version
    elif version.status == VersionStatus.PILOTING:
        raise ValidationError(
            {"version": _("This version is on trial in a pilot: only runs in the pilot's scope and dates use it.")}
        )
    elif version.status != VersionStatus.PUBLISHED:
        raise ValidationError({"version": _("Only the published version of a standard can be run.")})
    steps = step_specs(version, department.pk)
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
            audit(run, user).save()
    except IntegrityError:
        # the same external id was started at the same moment by another request
        return Run.objects.get(version=version, external_id=external_id), False
    if route is not None:
        route.attach(run)
    webhooks.emit_run_started(run=run)
    with clock_at(at):
        process = RunFlow.start.run(
            steps=steps, run_id=run.pk, process_id=version.process_id, levels=policy_rows(escalation_levels(version))
        )
        process.artifact = run
        process.save(update_fields=["artifact_content_type", "artifact_object_id"])
        run.flow_process_id = process.pk
        run.save(update_fields=["flow_process", "updated_at"])
        # the trigger: leading automatic steps are done by the start itself
        for item in run.items.order_by("position"):
            if not item.automatic:
                break
            complete(item=item, user=user, at=at, checks=None, note="", automatic=True)
    return run, True


def step_task_created(*, activation) -> WorkItem:
    """viewflow onCreate of ``perform_step``: the step's work item, with its deadline."""
    process = activation.process
    index = activation.task.data["index"]
    spec = process.data["steps"][index]
    at = now()
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
        next_escalation_at=next_escalation(due, policy_levels(process.data["levels"]), 0),
        escalation_policy=process.data["levels"],
    )
    save_audited(item)
    return item
