"""Process events from other systems (``POST /api/v1/work/events/``), stored as runs and steps.

An external system reports what happened in its own tools: case, step, started, finished, actor.
Each case becomes a ``Run`` of source ``events`` (external id = the case) and each event a ``WorkItem``
of kind ``step``, done, with the same fact columns a step run inside OpsFlow gets when it completes:
a step becomes available when the case's previous step finished (``created_at``), so waiting =
start - available, working = finish - start, total = finish - available, on time = finished by the
deadline the matching standard step sets (working hours on the business calendar). The run spans
its first start to its last finish (``cycle_seconds``). So the metrics, the dashboards and the
event-log map read these rows exactly as they read runs done in OpsFlow.

A batch is stored whole or not at all; per-item errors name the index. An event is identified by
(process, case, step, started): sending it again changes nothing, or updates its finish and actor.
A later batch may add events to a case: its run and every step's facts are recomputed.

The actor is the caller (an omitted actor too), unless the caller is an integration account
(``IntegrationAccount``): it may name any active person of the departments it reports for, and
report for their processes. Every step written records who reported it and with which API token.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..choices import Role, RunSource, RunStatus, VersionStatus, WorkKind, WorkStatus
from ..constants import VIEW
from ..models import Department, Process, Run, StandardVersion, Step, User, WorkItem
from ..selectors.calendar import deadline
from .integration_accounts import reporting_departments
from .work import Conflict, seconds, task_department

MAX_EVENTS = 10_000


class EventsRefused(Exception):
    """Some events of a batch are refused: ``errors`` maps an event's index to its field messages."""

    def __init__(self, errors: dict[str, dict[str, list[str]]]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class IngestResult:
    events: int
    created: int
    updated: int
    unchanged: int
    runs_created: int
    runs_updated: int


def _chunks(values: list, size: int = 2000):
    """Lists short enough for one ``IN (...)`` on every database."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _version_in_effect(versions: list[StandardVersion], at: datetime) -> StandardVersion | None:
    """The standard published at ``at``; else the current one (published, then piloting); else the
    newest draft, so an as-is process without a standard yet can still be recorded and mapped."""
    published = [v for v in versions if v.published_at is not None and v.published_at <= at]
    if published:
        return max(published, key=lambda v: v.published_at)
    for status in (VersionStatus.PUBLISHED, VersionStatus.PILOTING):
        current = [v for v in versions if v.status == status]
        if current:
            return current[0]
    return max(versions, key=lambda v: v.number) if versions else None


def _step_index(steps) -> dict[tuple[int, str], Step]:
    index = {}
    for step in steps:
        for name in (step.name_en, step.name_zh):
            if name:
                index.setdefault((step.version_id, name.strip().casefold()), step)
    return index


@transaction.atomic
def events_ingest(*, user, events: list[dict], token=None) -> IngestResult:
    """Store checked events (``process``, ``case``, ``step``, ``started``, ``finished``, optional
    ``actor``, ``department``, ``business_line``) reported by ``user`` with the API ``token`` (``None``:
    the browser's session); raise ``EventsRefused`` and store nothing when any is refused."""
    errors: dict[str, dict[str, list[str]]] = {}

    def refuse(index, field, message):
        errors.setdefault(str(index), {}).setdefault(field, []).append(message)

    # whom the caller may name: themselves, or (an integration account) the people it reports for
    reports_for = reporting_departments(user)

    def may_report_in(department_id) -> bool:
        return access.can(user, VIEW, department_id) or (reports_for is not None and department_id in reports_for)

    named = {(e.get("actor") or "").strip() for e in events} - {"", user.username}
    actors = {u.username: u for u in User.objects.filter(username__in=named, is_active=True)} if named else {}
    actors[user.username] = user

    def may_name(actor: str) -> bool:
        if actor == user.username:
            return True
        if reports_for is None:
            return False
        if actor not in actors:  # the actor of a stored step: looked up once
            actors[actor] = User.objects.filter(username=actor, is_active=True).first()
        person = actors[actor]
        return person is not None and person.department_id in reports_for

    for event in events:
        event["actor"] = (event.get("actor") or "").strip() or user.username

    processes = {p.code: p for p in Process.objects.filter(code__in={e["process"] for e in events})}
    departments = {
        d.code: d for d in Department.objects.filter(code__in={e["department"] for e in events if e.get("department")})
    }
    versions: dict[int, list[StandardVersion]] = defaultdict(list)
    for version in StandardVersion.objects.filter(process__in=processes.values()).order_by("number"):
        versions[version.process_id].append(version)
    for index, event in enumerate(events):
        process = processes.get(event["process"])
        if process is None or not may_report_in(process.department_id):
            refuse(index, "process", _("No process has this code."))
        elif not versions.get(process.pk):
            refuse(index, "process", _("This process has no standard version yet: create a draft (steps optional)."))
        if event.get("department"):
            department = departments.get(event["department"])
            if department is None or not may_report_in(department.pk):
                refuse(index, "department", _("No department has this code."))
        if not may_name(event["actor"]):
            if reports_for is None:
                refuse(
                    index, "actor", _("You can report only your own steps: leave the actor out or give your username.")
                )
            else:
                refuse(
                    index, "actor", _("No active person of the departments this account reports for has this username.")
                )
        if event["finished"] < event["started"]:
            refuse(index, "finished", _("The step finishes before it starts."))
    if errors:
        raise EventsRefused(errors)

    # cases: (process id, case) -> indexes of its events
    cases: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, event in enumerate(events):
        cases[(processes[event["process"]].pk, event["case"])].append(index)
    by_process: dict[int, list[str]] = defaultdict(list)
    for process_id, case in cases:
        by_process[process_id].append(case)
    runs = {}
    for process_id, names in by_process.items():
        for chunk in _chunks(names):
            found = Run.objects.select_for_update().select_related("version")
            for run in found.filter(version__process_id=process_id, external_id__in=chunk):
                runs[(process_id, run.external_id)] = run
    for key, indexes in cases.items():
        run = runs.get(key)
        if run is not None and run.source != RunSource.EVENTS:
            for index in indexes:
                refuse(index, "case", _("This case is run inside OpsFlow; its steps are recorded there."))
    if errors:
        raise EventsRefused(errors)

    tree = dict(Department.objects.values_list("pk", "parent_id"))
    new_runs = []
    for (process_id, case), indexes in cases.items():
        if (process_id, case) in runs:
            continue
        event = events[min(indexes, key=lambda i: events[i]["started"])]
        process = processes[event["process"]]
        run = Run(
            version=_version_in_effect(versions[process_id], event["started"]),
            department=departments.get(event.get("department") or "") or process.department,
            external_id=case,
            business_line=event.get("business_line", ""),
            source=RunSource.EVENTS,
            started_by=user,
        )
        new_runs.append(run)
        runs[(process_id, case)] = run

    steps = _step_index(Step.objects.filter(version__in={run.version_id for run in runs.values()}))
    # every step of the cases touched: those stored (by their run) and those sent, by (case, step, started)
    stored_runs = {run.pk: key for key, run in runs.items() if run.pk is not None}
    items: dict[tuple, WorkItem] = {}
    for chunk in _chunks(list(stored_runs)):
        for item in WorkItem.objects.filter(run__in=chunk, kind=WorkKind.STEP).select_related("step"):
            items[(stored_runs[item.run_id], item.title_en, item.started_at)] = item
    created: list[WorkItem] = []
    changed: set[tuple] = set()  # stored steps to write: sent with a new finish or actor, or facts moved
    unchanged = 0
    touched: set[tuple] = set()
    reporter = {
        "reported_by": user,
        "reported_token": token,
        "reported_token_label": str(token)[:130] if token is not None else "",
    }
    for index, event in enumerate(events):
        case_key = (processes[event["process"]].pk, event["case"])
        key = (case_key, event["step"], event["started"])
        actor = event["actor"]
        item = items.get(key)
        if item is not None:
            if item.finished_at == event["finished"] and item.actor == actor:
                unchanged += 1
            elif item.pk is not None and item.reported_by_id != user.pk and item.actor and not may_name(item.actor):
                # a step stored for someone the caller may not name is not theirs to rewrite
                refuse(index, "actor", _("This step was reported for another person; you cannot change it."))
            else:  # (sent twice in this batch: the last one counts)
                person = actors[actor]
                item.finished_at, item.actor = event["finished"], actor
                item.assignee = item.completed_by = person
                for name, value in reporter.items():
                    setattr(item, name, value)
                if item.pk is not None:
                    changed.add(key)
                touched.add(case_key)
            continue
        run = runs[case_key]
        step = steps.get((run.version_id, event["step"].strip().casefold()))
        person = actors[actor]
        item = WorkItem(
            kind=WorkKind.STEP,
            process_id=case_key[0],
            step=step,
            title_en=event["step"],
            title_zh=step.name_zh if step is not None else "",
            department_id=_department(step, run, tree),
            role=step.role if step is not None else Role.OPS_STAFF,
            automatic=step.automatic if step is not None else False,
            status=WorkStatus.DONE,
            assignee=person,
            completed_by=person,
            actor=actor,
            assigned_at=event["started"],
            started_at=event["started"],
            finished_at=event["finished"],
            **reporter,
        )
        items[key] = item
        created.append(item)
        touched.add(case_key)
    if errors:
        raise EventsRefused(errors)

    # the facts, in memory, so new rows are inserted once with them (bulk updates are slow)
    by_case: dict[tuple, list[WorkItem]] = defaultdict(list)
    for (case_key, _step, _started), item in items.items():
        if case_key in touched:
            by_case[case_key].append(item)
    stored_before = {key: _facts(items[key]) for key in items if items[key].pk is not None and key[0] in touched}
    for case_key, case_items in by_case.items():
        _recompute(runs[case_key], case_items)
    sent_changed = set(changed)
    changed |= {key for key, facts in stored_before.items() if _facts(items[key]) != facts}

    try:
        with transaction.atomic():
            Run.objects.bulk_create(new_runs, batch_size=1000)
    except IntegrityError:
        raise Conflict(_("Another batch is recording the same cases right now; send this one again.")) from None
    for key, item in items.items():
        if item.pk is None:
            item.run = runs[key[0]]
    WorkItem.objects.bulk_create(created, batch_size=1000)
    now = timezone.now()
    if changed:
        rows = [items[key] for key in changed]
        for item in rows:
            item.updated_at = now
        WorkItem.objects.bulk_update(rows, [*FACT_FIELDS, *REPORT_FIELDS, "updated_at"], batch_size=500)
    new_pks = {id(run) for run in new_runs}
    updated_runs = [runs[key] for key in touched if id(runs[key]) not in new_pks]
    for run in updated_runs:
        run.updated_at = now
    Run.objects.bulk_update(updated_runs, [*RUN_FACT_FIELDS, "updated_at"], batch_size=500)
    return IngestResult(
        events=len(events),
        created=len(created),
        updated=len(sent_changed),
        unchanged=unchanged,
        runs_created=len(new_runs),
        runs_updated=len(updated_runs),
    )


FACT_FIELDS = [
    "position",
    "created_at",
    "finished_at",
    "due_at",
    "duration_seconds",
    "waiting_seconds",
    "working_seconds",
    "on_time",
]
# who did and who reported a step: written when a batch sends the step with a new finish or actor
REPORT_FIELDS = ["actor", "assignee", "completed_by", "reported_by", "reported_token", "reported_token_label"]
RUN_FACT_FIELDS = ["started_at", "finished_at", "cycle_seconds", "on_time", "status"]


def _facts(item: WorkItem) -> tuple:
    return (*(getattr(item, name) for name in FACT_FIELDS), item.actor)


def _department(step, run, tree) -> int:
    """As for runs in OpsFlow: a step's work goes to the run's department when that lies inside the
    step's department; without a matching step, to the run's department."""
    if step is None:
        return run.department_id
    return task_department(step.department_id, run.department_id, tree)


def _recompute(run: Run, items: list[WorkItem]) -> None:
    """The fact columns of a case's steps, in the order they started, and of its run."""
    items.sort(key=lambda i: (i.started_at, i.finished_at, i.title_en))
    previous_end = None
    for position, item in enumerate(items, start=1):
        available = item.started_at if previous_end is None else min(previous_end, item.started_at)
        step = item.step
        due = None
        if step is not None and step.time_limit is not None and not step.automatic:
            due = deadline(available, Decimal(step.time_limit), step.time_unit)
        item.position = position
        item.created_at = available
        item.due_at = due
        item.duration_seconds = seconds(available, item.finished_at)
        item.waiting_seconds = seconds(available, item.started_at)
        item.working_seconds = seconds(item.started_at, item.finished_at)
        item.on_time = None if due is None else item.finished_at <= due
        previous_end = item.finished_at if previous_end is None else max(previous_end, item.finished_at)
    run.started_at = items[0].started_at
    run.finished_at = max(item.finished_at for item in items)
    run.cycle_seconds = seconds(run.started_at, run.finished_at)
    run.on_time = not any(item.on_time is False for item in items)
    run.status = RunStatus.DONE


__all__ = ["MAX_EVENTS", "EventsRefused", "IngestResult", "events_ingest"]
