"""Improvement projects: the six phases, each a piece of work for the lead and a gate for a manager.

ProjectFlow (viewflow) routes phase -> gate -> next phase; the work and the gates are ``WorkItem`` rows,
so they reach the same inboxes, deadlines and escalation as the steps of a run. A gate passes only when
the phase's deliverables are there (``phase_checklist``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow.status import STATUS

from .. import access, phases
from ..choices import (
    EscalationTarget,
    ProjectPhase,
    Role,
    SuggestionState,
    TimeUnit,
    VersionStatus,
    WorkKind,
    WorkStatus,
)
from ..constants import MANAGE_PROJECT
from ..models import (
    Goal,
    ImprovementProject,
    Problem,
    ProjectNote,
    Step,
    TeamMember,
    WorkItem,
)
from ..selectors.calendar import deadline
from .work import (
    Conflict,
    PolicyLevel,
    apply_completion,
    audit,
    clean_and_save,
    clock_at,
    guarded,
    locked,
    next_escalation,
    now,
    policy_rows,
)

PHASES = list(phases.ORDER)  # the gates, in order (processes/phases.py defines the six phases)
# project work escalates to the lead's supervisor at once, to the operations director a day later
PROJECT_POLICY = (
    PolicyLevel(1, EscalationTarget.SUPERVISOR, Decimal("0")),
    PolicyLevel(2, EscalationTarget.OPERATIONS_DIRECTOR, Decimal("24")),
)
GATE_DAYS = 2


def require_manage(user, project_or_department_id):
    """PermissionDenied unless ``user`` may manage projects of that department (or the project's)."""
    department_id = getattr(project_or_department_id, "department_id", project_or_department_id)
    if not access.can(user, MANAGE_PROJECT, department_id):
        raise PermissionDenied(_("Your role or department does not allow this."))


# References: what a project may hold
# ------------------------------------------------------------------------------


def project_processes(project):
    """The project's processes that belong to its department or one below it: the only ones its
    mapping, suggestions and analyses read (a process of another department stays out even if a
    project held it before this rule)."""
    return project.processes.filter(department__in=access.departments_under([project.department_id]))


def _people_departments(department_id, processes) -> set[int]:
    """Who may lead or join a project: people of its department (and below), and of the departments
    that own a step of one of its processes."""

    owners = Step.objects.filter(version__process__in=[p.pk for p in processes]).values_list("department_id", flat=True)
    return {department_id, *owners}


def _check_references(*, department, processes, lead=None, members=()) -> None:
    errors = {}
    allowed = access.departments_under([department.pk])
    foreign = [p for p in processes if p.department_id not in allowed]
    if foreign:
        errors["processes"] = [
            _("%(process)s belongs to another department: a project holds processes of its own department.")
            % {"process": foreign[0]}
        ]
    people = _people_departments(department.pk, processes)
    if access.outsiders([lead], people, owner_department_id=department.pk):
        errors["lead"] = [_("%(name)s works outside the project's departments.") % {"name": lead.display_name}]
    outside = access.outsiders(members, people, owner_department_id=department.pk)
    if outside:
        errors["user"] = [_("%(name)s works outside the project's departments.") % {"name": outside[0].display_name}]
    if errors:
        raise ValidationError(errors)


def process_check(project, process) -> None:
    """A ValidationError on ``process`` unless the project holds it (a project reads only its processes)."""
    if process is not None and not project_processes(project).filter(pk=process.pk).exists():
        raise ValidationError({"process": [_("Add the process to the project first.")]})


# Deliverables
# ------------------------------------------------------------------------------


@dataclass
class Deliverable:
    label: str
    done: bool
    required: bool = True
    detail: str = ""


# What an upper app adds to a phase's checklist (metrics: the iteration phase's effect evaluation), so
# this module imports no app above processes: ``deliverables_register(phase, fn)`` in the app's ready();
# ``fn(project, processes)`` returns the phase's further deliverables.
_PHASE_DELIVERABLES: dict[str, list] = {}


def deliverables_register(phase: str, deliverables) -> None:
    if deliverables not in _PHASE_DELIVERABLES.setdefault(phase, []):
        _PHASE_DELIVERABLES[phase].append(deliverables)


def phase_checklist(project: ImprovementProject, phase: str) -> list[Deliverable]:
    """What the phase must deliver before its gate can pass (``required``), and what helps."""
    processes = list(project.processes.all())
    items: list[Deliverable] = []
    if phase == ProjectPhase.PREPARATION:
        items.append(Deliverable(gettext_lazy("A project lead"), project.lead_id is not None))
        goals = project.goals.count()
        items.append(Deliverable(gettext_lazy("At least one goal with a numeric target"), goals > 0, detail=str(goals)))
        items.append(Deliverable(gettext_lazy("The processes the project covers"), bool(processes)))
        items.append(Deliverable(gettext_lazy("A team with roles"), project.team.exists(), required=False))
        items.append(
            Deliverable(gettext_lazy("The current-state problem list"), project.problems.exists(), required=False)
        )
    elif phase == ProjectPhase.MAPPING:
        analysed = set(project.analyses.filter(steps__isnull=False).values_list("process_id", flat=True))
        with_bottlenecks = set(
            project.bottlenecks.filter(state=SuggestionState.ACCEPTED).values_list("process_id", flat=True)
        )
        for process in processes:
            items.append(
                Deliverable(
                    _("Current-state analysis (template 1) of %(process)s") % {"process": process},
                    process.pk in analysed,
                )
            )
            items.append(
                Deliverable(_("Bottleneck table of %(process)s") % {"process": process}, process.pk in with_bottlenecks)
            )
    elif phase == ProjectPhase.STANDARDS:
        for process in processes:
            published = process.versions.filter(status=VersionStatus.PUBLISHED).exists()
            items.append(Deliverable(_("A published standard for %(process)s") % {"process": process}, published))
    for deliverables in _PHASE_DELIVERABLES.get(phase, ()):
        items.extend(deliverables(project, processes))
    return items


def missing_deliverables(project, phase) -> list[str]:
    return [str(d.label) for d in phase_checklist(project, phase) if d.required and not d.done]


# Projects
# ------------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    user,
    name_en,
    department,
    name_zh="",
    strategic_goal_en="",
    strategic_goal_zh="",
    processes=(),
    lead=None,
    phase_days=10,
    review_cadence="monthly",
    team=(),
    at=None,
) -> ImprovementProject:
    """Create a project and start its flow: the preparation work lands in the lead's inbox."""
    from ..flows import ProjectFlow  # here: the flow's callbacks import this module (breaks the cycle)

    require_manage(user, department.pk)
    processes = list(processes)
    _check_references(department=department, processes=processes, lead=lead, members=[m for m, _r in team])
    project = ImprovementProject(
        name_en=name_en,
        name_zh=name_zh,
        strategic_goal_en=strategic_goal_en,
        strategic_goal_zh=strategic_goal_zh,
        department=department,
        lead=lead,
        phase_days=phase_days,
        review_cadence=review_cadence,
        created_by=user,
    )
    project.full_clean()
    audit(project, user).save()
    project.processes.set(processes)
    for member, role in team:
        TeamMember.objects.get_or_create(project=project, user=member, role=role)
    with clock_at(now(at)):
        process = ProjectFlow.start.run(project_id=project.pk)
    ImprovementProject.objects.filter(pk=project.pk).update(flow_process=process)
    project.flow_process = process
    return project


@transaction.atomic
def project_update(*, project, user, processes=None, **fields) -> ImprovementProject:
    require_manage(user, project)
    if "department" in fields:
        require_manage(user, fields["department"].pk)
    for name, value in fields.items():
        setattr(project, name, value)
    processes = list(project.processes.all() if processes is None else processes)
    _check_references(department=project.department, processes=processes, lead=project.lead)
    project.full_clean()
    audit(project, user).save()
    project.processes.set(processes)
    return project


def _work_item(*, project, kind, phase_index, at, title_en, title_zh, assignee=None, role, days):
    due = deadline(at, Decimal(days), TimeUnit.WORKING_DAYS)
    item = WorkItem(
        kind=kind,
        project=project,
        position=phase_index + 1,
        title_en=title_en,
        title_zh=title_zh,
        department_id=project.department_id,
        role=role,
        created_at=at,
        due_at=due,
        next_escalation_at=next_escalation(due, PROJECT_POLICY, 0),
        escalation_policy=policy_rows(PROJECT_POLICY),
    )
    if assignee is not None:
        item.assignee = assignee
        item.status = WorkStatus.CLAIMED
        item.assigned_at = at
    return item


def phase_work_created(*, activation) -> WorkItem:
    """ProjectFlow onCreate of ``phase_work``: the lead's work on the phase, with its deadline."""
    project = ImprovementProject.objects.get(pk=activation.process.data["project"])
    index = activation.task.data["phase"]
    phase = PHASES[index]
    at = now()
    if project.phase != phase:
        ImprovementProject.objects.filter(pk=project.pk).update(phase=phase, updated_at=timezone.now())
    with _english():
        title_en = f"Phase {index + 1}: {phase.label}"
    with _chinese():
        title_zh = f"阶段 {index + 1}：{phase.label}"
    item = _work_item(
        project=project,
        kind=WorkKind.PHASE,
        phase_index=index,
        at=at,
        title_en=f"{title_en} — {project.name_en}",
        title_zh=f"{title_zh} — {project.name_zh or project.name_en}",
        assignee=project.lead,
        role=Role.PROCESS_SPECIALIST,
        days=project.phase_days,
    )
    item.flow_task = activation.task
    item.save()
    return item


def gate_created(*, activation) -> WorkItem:
    """ProjectFlow onCreate of ``phase_gate``: a manager of the department approves the phase."""
    project = ImprovementProject.objects.get(pk=activation.process.data["project"])
    index = activation.task.data["phase"]
    phase = PHASES[index]
    with _english():
        title_en = f"Approve phase {index + 1}: {phase.label}"
    with _chinese():
        title_zh = f"审批阶段 {index + 1}：{phase.label}"
    item = _work_item(
        project=project,
        kind=WorkKind.GATE,
        phase_index=index,
        at=now(),
        title_en=f"{title_en} — {project.name_en}",
        title_zh=f"{title_zh} — {project.name_zh or project.name_en}",
        role=Role.MANAGER,
        days=GATE_DAYS,
    )
    item.flow_task = activation.task
    item.save()
    return item


def _english():
    return translation.override("en")


def _chinese():
    return translation.override("zh-hans")


def open_work(project) -> WorkItem | None:
    return project.work_items.filter(status__in=[WorkStatus.OPEN, WorkStatus.CLAIMED]).order_by("id").first()


@guarded
def phase_submit(*, project: ImprovementProject, user, note: str = "", at=None) -> WorkItem:
    """The lead hands the phase to its gate (the deliverables are checked at the gate)."""
    at = now(at)
    item = open_work(project)
    if item is None or item.kind != WorkKind.PHASE:
        raise Conflict(_("The phase is already waiting for its gate."))
    if user.pk != project.lead_id and not access.can(user, MANAGE_PROJECT, project.department_id):
        raise PermissionDenied(_("Only the project lead hands a phase to its gate."))
    with clock_at(at), locked(item) as (item, activation):
        if item.assignee_id is None:
            item.assignee = user
        apply_completion(item, item.assignee, at, None, note, True, [])
        item.completed_by = user
        item.save(update_fields=["completed_by", "updated_at"])
        if activation.task.status == STATUS.NEW:
            activation.assign(user)
        activation.start(None)
        activation.execute()
    return item


@guarded
def gate_decide(*, project: ImprovementProject, user, approve: bool, note: str = "", at=None) -> ImprovementProject:
    """A manager passes the gate (the phase's deliverables must be complete) or sends the phase back."""
    at = now(at)
    item = open_work(project)
    if item is None or item.kind != WorkKind.GATE:
        raise Conflict(_("No gate is waiting for a decision."))
    if not access.has_role(user, Role.MANAGER, Role.OPERATIONS_DIRECTOR, Role.ADMIN) or not access.in_scope(
        user, project.department_id
    ):
        raise PermissionDenied(_("A manager of the project's department decides the gate."))
    if user.pk == project.lead_id:
        raise PermissionDenied(_("You lead this project: another manager must pass its gates."))
    phase = PHASES[item.position - 1]
    if approve:
        missing = missing_deliverables(project, phase)
        if missing:
            raise ValidationError([_("The gate cannot pass; missing: %(items)s.") % {"items": "; ".join(missing)}])
    elif not note.strip():
        raise ValidationError({"note": [_("Say what the phase still needs.")]})
    with clock_at(at), locked(item) as (item, activation):
        if item.assignee_id is None:
            item.assignee = user
            item.assigned_at = at
        apply_completion(item, user, at, None, note, True, [])
        process = activation.process
        process.data["approved"] = approve
        process.data["phase"] = item.position - 1
        process.save(update_fields=["data"])
        if activation.task.status == STATUS.NEW:
            activation.assign(user)
        activation.start(None)
        activation.execute()
        if approve and item.position == len(PHASES):
            ImprovementProject.objects.filter(pk=project.pk).update(
                phase=ProjectPhase.CLOSED, updated_at=timezone.now()
            )
    project.refresh_from_db()
    return project


# Preparation and mapping content
# ------------------------------------------------------------------------------


@transaction.atomic
def goal_save(*, project, user, goal: Goal | None = None, **fields) -> Goal:
    require_manage(user, project)
    process_check(project, fields.get("process"))
    goal = goal or Goal(project=project)
    for name, value in fields.items():
        setattr(goal, name, value)
    return clean_and_save(goal, user)


@transaction.atomic
def problem_save(*, project, user, problem: Problem | None = None, **fields) -> Problem:
    require_manage(user, project)
    process_check(project, fields.get("process"))
    problem = problem or Problem(project=project)
    for name, value in fields.items():
        setattr(problem, name, value)
    return clean_and_save(problem, user)


@transaction.atomic
def note_save(*, project, user, **fields) -> ProjectNote:
    require_manage(user, project)
    return clean_and_save(ProjectNote(project=project, created_by=user, **fields), user)


@transaction.atomic
def team_member_add(*, project, user, member, role) -> TeamMember:
    require_manage(user, project)
    people = _people_departments(project.department_id, project.processes.all())
    if access.outsiders([member], people, owner_department_id=project.department_id):
        raise ValidationError(
            {"user": [_("%(name)s works outside the project's departments.") % {"name": member.display_name}]}
        )
    member_row, _created = TeamMember.objects.get_or_create(project=project, user=member, role=role)
    return member_row
