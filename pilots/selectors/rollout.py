"""Read side of the rollout: the plans a user may see, coverage (departments switched over, training
per department and tier) and the monitoring figures of every review period, aggregated in SQL."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Avg, Case, Count, Exists, IntegerField, OuterRef, Q, Sum, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from metrics.selectors import period_bounds
from processes import access
from processes.choices import Role, RunStatus, WorkKind, WorkStatus
from processes.constants import MANAGE_PROJECT, VIEW
from processes.models import Department, Run, Step, User, WorkItem
from processes.selectors import calendar, with_changes

from ..choices import Cadence, MilestoneStatus, Tier
from ..models import Attendance, DepartmentSwitch, Milestone, MonitoringReview, RolloutPlan, TrainingSession

# The seed's three training tiers, by the roles (Django groups) of the people in them.
TIER_ROLES: dict[str, tuple[str, ...]] = {
    Tier.MANAGEMENT: (Role.MANAGER, Role.OPERATIONS_DIRECTOR),
    Tier.EXECUTION: (Role.OPS_STAFF,),
    Tier.SUPPORT: (Role.PROCESS_SPECIALIST, Role.IT_SUPPORT),
}
# Reviews are only created for periods that ended this recently: a gap in beat is caught up, a plan
# entered with a start date months ago does not flood its owner's inbox with stale reviews.
CATCH_UP_DAYS = 14
HOUR = Decimal(3600)


# Plans
# ------------------------------------------------------------------------------


def plan_list(*, user):
    """Plans of processes in the user's department scope, plus those the user takes part in (owner,
    milestone owner, trainer or trainee), so work that reaches their inbox always opens."""
    qs = RolloutPlan.objects.select_related("version__process__department", "owner", "project")
    if VIEW not in access.capabilities(user):
        return qs.none()
    scope = access.department_scope(user)
    if scope is None:
        return qs
    involved = (
        Q(owner=user)
        | Q(pk__in=Milestone.objects.filter(owner=user).values("plan_id"))
        | Q(pk__in=TrainingSession.objects.filter(trainer=user).values("plan_id"))
        | Q(pk__in=Attendance.objects.filter(user=user).values("session__plan_id"))
    )
    return qs.filter(Q(version__process__department__in=scope) | involved)


def plan_get(*, user, pk) -> RolloutPlan:
    return get_object_or_404(plan_list(user=user), pk=pk)


def plan_department_id(plan: RolloutPlan) -> int:
    return plan.version.process.department_id


def can_manage(user, plan: RolloutPlan) -> bool:
    return access.can(user, MANAGE_PROJECT, plan_department_id(plan))


def plan_list_with_counts(*, user):
    return plan_list(user=user).annotate(
        milestones_total=Count("milestones", filter=~Q(milestones__status=MilestoneStatus.CANCELLED), distinct=True),
        milestones_done=Count("milestones", filter=Q(milestones__status=MilestoneStatus.DONE), distinct=True),
        switched=Count("switches", distinct=True),
    )


def milestone_is_late(milestone: Milestone, today: date) -> bool:
    """Done after its due date, or still open past it."""
    if milestone.status == MilestoneStatus.CANCELLED:
        return False
    if milestone.status == MilestoneStatus.DONE:
        return milestone.done_at is not None and timezone.localdate(milestone.done_at) > milestone.due_on
    return today > milestone.due_on


def milestone_list(plan: RolloutPlan, *, today: date | None = None) -> list[Milestone]:
    today = today or timezone.localdate()
    rows = list(plan.milestones.select_related("owner", "switches_department", "work_item").order_by("position"))
    for row in rows:
        row.is_late = milestone_is_late(row, today)
    return rows


# Coverage: departments
# ------------------------------------------------------------------------------


def process_departments(plan: RolloutPlan):
    """Every department that runs the plan's process: its owner, the departments responsible for a
    step of the version, those that have started runs of it, and any already switched over."""
    process_id = plan.version.process_id
    return Department.objects.filter(
        Q(pk=plan.version.process.department_id)
        | Q(pk__in=Step.objects.filter(version_id=plan.version_id).values("department_id"))
        | Q(Exists(Run.objects.filter(department=OuterRef("pk"), version__process_id=process_id)))
        | Q(pk__in=DepartmentSwitch.objects.filter(plan=plan).values("department_id"))
    ).order_by("name_en")


@dataclass
class DepartmentCoverage:
    department: Department
    switch: DepartmentSwitch | None = None
    milestone: Milestone | None = None  # the open milestone that will switch it over
    via: DepartmentSwitch | None = None  # a department above it switched over (its teams with it)

    @property
    def covered(self) -> bool:
        return self.switch is not None or self.via is not None


def department_coverage(plan: RolloutPlan) -> list[DepartmentCoverage]:
    switches = {s.department_id: s for s in plan.switches.select_related("recorded_by", "milestone", "department")}
    pending = {
        m.switches_department_id: m
        for m in plan.milestones.filter(switches_department__isnull=False)
        .exclude(status__in=[MilestoneStatus.DONE, MilestoneStatus.CANCELLED])
        .select_related("owner")
    }
    parents = dict(Department.objects.values_list("pk", "parent_id"))

    def inherited(pk):
        node = parents.get(pk)
        while node is not None:
            if node in switches:
                return switches[node]
            node = parents.get(node)
        return None

    return [
        DepartmentCoverage(
            department=d,
            switch=switches.get(d.pk),
            milestone=pending.get(d.pk),
            via=None if d.pk in switches else inherited(d.pk),
        )
        for d in process_departments(plan)
    ]


# Coverage: training
# ------------------------------------------------------------------------------


@dataclass
class TierCoverage:
    tier: str
    label: str
    people: int = 0
    completed: int = 0

    @property
    def rate(self) -> Decimal | None:
        if not self.people:
            return None
        return (Decimal(self.completed) * 100 / Decimal(self.people)).quantize(Decimal("0.1"))


@dataclass
class DepartmentTraining:
    department: Department | None  # None: the totals row
    tiers: list[TierCoverage] = field(default_factory=list)


def _tier_people(tier: str) -> Q:
    return Q(groups__name__in=TIER_ROLES[tier])


def training_coverage(plan: RolloutPlan) -> list[DepartmentTraining]:
    """Per department and tier: people of that department and tier who completed a session of that
    tier, out of the people of that department and tier. One aggregate query; only *completed*
    attendance counts (invited or attended is not enough). The last row holds the totals."""
    departments = list(
        Department.objects.filter(
            Q(pk__in=process_departments(plan).values("pk"))
            | Q(pk__in=Attendance.objects.filter(session__plan=plan).values("user__department_id"))
        ).order_by("name_en")
    )
    annotations = {}
    for tier in Tier.values:
        completed = Exists(
            Attendance.objects.filter(user=OuterRef("pk"), completed=True, session__plan=plan, session__tier=tier)
        )
        annotations[f"{tier}__people"] = Count("pk", filter=_tier_people(tier), distinct=True)
        annotations[f"{tier}__completed"] = Count("pk", filter=_tier_people(tier) & Q(completed), distinct=True)
    counts = {
        row["department"]: row
        for row in User.objects.filter(is_active=True, department__in=[d.pk for d in departments])
        .values("department")
        .annotate(**annotations)
        .order_by()
    }
    labels = dict(Tier.choices)
    rows, totals = [], {tier: TierCoverage(tier, labels[tier]) for tier in Tier.values}
    for department in departments:
        row = DepartmentTraining(department)
        found = counts.get(department.pk, {})
        for tier in Tier.values:
            cell = TierCoverage(tier, labels[tier], found.get(f"{tier}__people", 0), found.get(f"{tier}__completed", 0))
            totals[tier].people += cell.people
            totals[tier].completed += cell.completed
            row.tiers.append(cell)
        rows.append(row)
    rows.append(DepartmentTraining(None, list(totals.values())))
    return rows


def session_list(plan: RolloutPlan):
    return (
        plan.sessions.select_related("trainer")
        .annotate(
            invited=Count("attendance", distinct=True),
            attended_count=Count("attendance", filter=Q(attendance__attended=True), distinct=True),
            completed_count=Count("attendance", filter=Q(attendance__completed=True), distinct=True),
        )
        .order_by("starts_at", "pk")
    )


def session_get(plan: RolloutPlan, pk) -> TrainingSession:
    return get_object_or_404(session_list(plan), pk=pk)


def attendance_list(session: TrainingSession):
    return (
        session.attendance.select_related("user", "user__department")
        .prefetch_related("user__groups")
        .order_by("user__department__name_en", "user__last_name", "user__first_name", "user__username")
    )


def tier_people(*, tier: str, department=None):
    """Active people of a tier (by role), optionally of one department (not its sub-departments)."""
    qs = User.objects.filter(is_active=True).filter(_tier_people(tier))
    if department is not None:
        qs = qs.filter(department=department)
    return qs.distinct()


def user_tiers(user) -> list[str]:
    names = {g.name for g in user.groups.all()}
    return [tier for tier, roles in TIER_ROLES.items() if names.intersection(roles)]


# Review periods
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    cadence: str
    start: date
    end: date

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%Y-%m-%d}"
        return f"{self.start:%Y-%m-%d} – {self.end:%m-%d}"

    @property
    def short_label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%m-%d}"
        return f"{self.start:%m-%d}–{self.end:%m-%d}"


def plan_periods(plan: RolloutPlan, *, until: date) -> list[Period]:
    """The plan's review periods that start on or before ``until``, oldest first.

    Daily while the rollout is young (up to ``daily_until``): one period per working day, a weekend or
    holiday folding into the next working day's period, so every day is reviewed exactly once and no
    review falls on a day off. Then weekly, seven days at a time, until the plan's end date."""
    periods: list[Period] = []
    one = timedelta(days=1)
    start = day = plan.starts_on
    while day <= plan.daily_until and start <= until:
        if day == plan.daily_until or calendar.is_working_day(day):
            periods.append(Period(Cadence.DAILY, start, day))
            start = day + one
        day += one
    start = plan.daily_until + one
    while start <= until and (plan.ends_on is None or start <= plan.ends_on):
        periods.append(Period(Cadence.WEEKLY, start, start + timedelta(days=6)))
        start += timedelta(days=7)
    return periods


def periods_due(plan: RolloutPlan, *, today: date) -> list[Period]:
    """The periods that ended before ``today`` (within the catch-up window): each needs its review."""
    oldest = today - timedelta(days=CATCH_UP_DAYS)
    return [p for p in plan_periods(plan, until=today - timedelta(days=1)) if oldest <= p.end < today]


# Monitoring figures
# ------------------------------------------------------------------------------


@dataclass
class Figures:
    runs: int = 0
    processing_hours: Decimal | None = None  # mean run cycle time
    error_rate: Decimal | None = None  # failed quality checks / checks, %
    on_time_rate: Decimal | None = None  # runs with every step on time, %
    checks: int = 0


@dataclass
class MonitoringRow:
    period: Period
    figures: Figures
    review: MonitoringReview | None = None
    current: bool = False  # the period still running

    @property
    def review_state(self) -> str:
        if self.review is None:
            return "running" if self.current else "none"
        if self.review.closed_at:
            return "closed"
        item = self.review.work_item
        if item is not None and item.status == WorkStatus.CANCELLED:
            return "cancelled"
        if item is not None and item.due_at and item.due_at < timezone.now():
            return "overdue"
        return "open"


def _descendants(department_ids) -> dict[int, set[int]]:
    children = defaultdict(list)
    for pk, parent_id in Department.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    result = {}
    for root in department_ids:
        found, stack = set(), [root]
        while stack:
            pk = stack.pop()
            if pk not in found:
                found.add(pk)
                stack.extend(children[pk])
        result[root] = found
    return result


def _switched(plan: RolloutPlan) -> list[tuple[set[int], object]]:
    """(departments, since) per switch-over: the department with those below it, from the start of
    the day it switched over."""

    switches = list(plan.switches.values_list("department_id", "switched_on"))
    if not switches:
        return []
    trees = _descendants([d for d, _ in switches])
    return [(trees[department_id], period_bounds(day, day)[0]) for department_id, day in switches]


def switched_runs_filter(plan: RolloutPlan, prefix: str = "", switched=None) -> Q | None:
    """Runs of the plan's process in the departments switched over (and their sub-departments),
    started on or after the day each switched. None when no department has switched yet."""
    switched = _switched(plan) if switched is None else switched
    if not switched:
        return None
    condition = Q()
    for departments, since in switched:
        condition |= Q(**{f"{prefix}department_id__in": departments, f"{prefix}started_at__gte": since})
    return Q(**{f"{prefix}version__process_id": plan.version.process_id}) & condition


def _bucket(field_name: str, bounds) -> Case:
    return Case(
        *[
            When(**{f"{field_name}__gte": lo, f"{field_name}__lt": hi}, then=Value(index))
            for index, (lo, hi) in enumerate(bounds)
        ],
        default=None,
        output_field=IntegerField(),
    )


def _rate(total, counted) -> Decimal | None:
    if not total:
        return None
    return (Decimal(counted) * 100 / Decimal(total)).quantize(Decimal("0.01"))


def period_figures(plan: RolloutPlan, periods: list[Period]) -> dict[Period, Figures]:
    """The monitoring figures of each period, computed in SQL (two grouped queries per cadence):

    - processing time: mean cycle time of the runs finished in the period, in hours;
    - error rate: failed quality checks / checks of the steps finished in the period, %;
    - on-time rate: runs finished in the period with every step on time, %;
    - runs: runs finished in the period.

    Only runs of the plan's process in switched-over departments, started after their switch-over."""

    result = {p: Figures() for p in periods}
    switched = _switched(plan) if periods else []
    if not switched:
        return result
    runs_filter = switched_runs_filter(plan, switched=switched)
    steps_filter = switched_runs_filter(plan, prefix="run__", switched=switched)
    runs = Run.objects.filter(runs_filter, status=RunStatus.DONE)
    steps = WorkItem.objects.filter(steps_filter, kind=WorkKind.STEP, automatic=False, status=WorkStatus.DONE)
    # periods of one cadence never overlap, so each finished row falls in at most one bucket
    for cadence in Cadence.values:
        chunk = [p for p in periods if p.cadence == cadence]
        if not chunk:
            continue
        bounds = [period_bounds(p.start, p.end) for p in chunk]
        lo, hi = min(b[0] for b in bounds), max(b[1] for b in bounds)
        run_rows = (
            runs.filter(finished_at__gte=lo, finished_at__lt=hi)
            .annotate(bucket=_bucket("finished_at", bounds))
            .exclude(bucket=None)
            .values("bucket")
            .annotate(n=Count("id"), mean=Avg("cycle_seconds"), on_time=Count("id", filter=Q(on_time=True)))
            .order_by()
        )
        for row in run_rows:
            figures = result[chunk[row["bucket"]]]
            figures.runs = row["n"]
            if row["mean"] is not None:
                figures.processing_hours = (Decimal(str(row["mean"])) / HOUR).quantize(Decimal("0.01"))
            figures.on_time_rate = _rate(row["n"], row["on_time"])
        step_rows = (
            steps.filter(finished_at__gte=lo, finished_at__lt=hi)
            .annotate(bucket=_bucket("finished_at", bounds))
            .exclude(bucket=None)
            .values("bucket")
            .annotate(checks=Sum("checks_total"), failed=Sum("checks_failed"))
            .order_by()
        )
        for row in step_rows:
            figures = result[chunk[row["bucket"]]]
            figures.checks = row["checks"] or 0
            figures.error_rate = _rate(row["checks"] or 0, row["failed"] or 0)
    return result


def monitoring_rows(plan: RolloutPlan, *, today: date | None = None) -> list[MonitoringRow]:
    """One row per review period so far, newest first: its figures, and its review when there is one.
    The period still running is included (marked ``current``) so the first days are never blank."""
    today = today or timezone.localdate()
    periods = plan_periods(plan, until=today)
    reviews = {
        (r.cadence, r.period_start): r
        for r in plan.reviews.select_related("work_item", "work_item__assignee", "work_item__completed_by")
    }
    # reviews whose period no longer matches the cadence (the plan's dates changed) still show
    known = {(p.cadence, p.start) for p in periods}
    for (cadence, start), review in reviews.items():
        if (cadence, start) not in known:
            periods.append(Period(cadence, start, review.period_end))
    periods.sort(key=lambda p: (p.start, p.cadence))
    figures = period_figures(plan, periods)
    rows = [
        MonitoringRow(
            period=p,
            figures=figures[p],
            review=reviews.get((p.cadence, p.start)),
            current=p.start <= today <= p.end,
        )
        for p in periods
    ]
    rows.reverse()
    return rows


def review_get(plan: RolloutPlan, pk) -> MonitoringReview:
    return get_object_or_404(plan.reviews.select_related("work_item"), pk=pk)


def history_for_plan(plan: RolloutPlan):
    """The audit trail of a plan: the plan, its milestones, switch-overs, sessions and reviews."""

    records = list(RolloutPlan.history.filter(id=plan.pk).select_related("history_user"))
    for model in (Milestone, DepartmentSwitch, TrainingSession, MonitoringReview):
        records += list(model.history.filter(plan_id=plan.pk).select_related("history_user")[:200])
    return _labelled(with_changes(records)[:100])


def history_for_session(session: TrainingSession):
    records = list(TrainingSession.history.filter(id=session.pk).select_related("history_user"))
    records += list(Attendance.history.filter(session_id=session.pk).select_related("history_user")[:300])
    return _labelled(with_changes(records)[:100])


def _shown(value):
    """History values as people read them: times in the local time zone, to the minute."""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value


def _labelled(records):
    """A readable name for each record (an attendance row is named after its person)."""
    people = {u.pk: u for u in User.objects.filter(pk__in={getattr(r, "user_id", None) for r in records} - {None})}
    for record in records:
        record.changes = [(label, _shown(old), _shown(new)) for label, old, new in record.changes]
        if isinstance(record.instance, Attendance):
            person = people.get(record.user_id)
            record.label = person.display_name if person else f"#{record.user_id}"
        else:
            record.label = str(record.instance)
    return records
