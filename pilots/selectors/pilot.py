"""Read side of pilots and rollout, and the routing of new runs into a running pilot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation

from metrics import selectors as metric_selectors
from metrics.choices import Computation, Direction
from metrics.models import Indicator
from processes import access
from processes.choices import VersionStatus, WorkStatus
from processes.constants import VIEW
from processes.documents.formatting import time_limit as time_limit_text
from processes.models import Escalation, Run, WorkItem
from processes.selectors import with_changes

from ..choices import Arm, PilotStatus, QuestionKind
from ..models import CustomerInterview, FeedbackItem, Pilot, PilotRun, StandUp, Survey, SurveyAnswer


@dataclass
class Route:
    pilot: Pilot
    arm: str
    version: object | None  # the version to run: the pilot's for its scope, None (the current one) for control


def pilot_route(*, process_id: int, department_id: int, business_line: str = "", at=None) -> Route | None:
    """The running pilot of ``process_id`` whose scope or control scope covers a run started now in
    ``department_id`` (and ``business_line``, when the pilot is limited to one), if any."""
    day = timezone.localdate(at) if at is not None else timezone.localdate()
    candidates = (
        Pilot.objects.filter(
            version__process_id=process_id,
            status=PilotStatus.RUNNING,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        .select_related("version")
        .order_by("starts_on", "pk")
    )
    for pilot in candidates:
        if pilot.business_line and pilot.business_line.strip().casefold() != business_line.strip().casefold():
            continue
        if pilot.departments.filter(pk=department_id).exists():
            # a version superseded by a later publication is no longer tried: the run takes the current one
            trial = pilot.version if pilot.version.status == VersionStatus.PILOTING else None
            return Route(pilot=pilot, arm=Arm.PILOT, version=trial)
        if pilot.control_departments.filter(pk=department_id).exists():
            return Route(pilot=pilot, arm=Arm.CONTROL, version=None)
    return None


def pilot_attach_run(*, route: Route, run) -> PilotRun:
    """Record that ``run`` belongs to the routed pilot (inside run_start's transaction)."""
    link, _ = PilotRun.objects.get_or_create(run=run, defaults={"pilot": route.pilot, "arm": route.arm})
    return link


# Lists
# ------------------------------------------------------------------------------


def pilot_list(*, user):
    """The pilots of processes in the user's scope, or trying something in the user's departments."""

    qs = Pilot.objects.select_related("version__process__department", "owner", "project")
    if VIEW not in access.capabilities(user):
        return qs.none()
    scope = access.department_scope(user)
    if scope is None:
        return qs
    visible = Pilot.objects.filter(
        Q(version__process__department__in=scope)
        | Q(departments__in=scope)
        | Q(control_departments__in=scope)
        | Q(version__steps__department__in=scope)  # people who work a step of the version on trial
    ).values("pk")
    return qs.filter(pk__in=visible)


def pilot_get(*, user, pk) -> Pilot:
    return get_object_or_404(pilot_list(user=user), pk=pk)


# Surveys
# ------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: object
    answers: int
    mean: Decimal | None = None
    distribution: list[int] | None = None  # count of each rating 1..5
    comments: list[str] | None = None


def survey_results(survey) -> list[QuestionResult]:
    """Per question: answers, the mean rating (two decimals) and the count of each rating, counted in
    the database; the comments of text questions."""

    rating_rows = {
        row["question"]: row
        for row in SurveyAnswer.objects.filter(question__survey=survey, rating__isnull=False)
        .values("question")
        .annotate(
            n=Count("id"),
            mean=Avg("rating"),
            **{f"r{value}": Count("id", filter=Q(rating=value)) for value in range(1, 6)},
        )
    }
    results = []
    for question in survey.questions.all():
        if question.kind == QuestionKind.RATING:
            row = rating_rows.get(question.pk)
            if row is None:
                results.append(QuestionResult(question, 0, None, [0] * 5))
            else:
                mean = Decimal(str(row["mean"])).quantize(TWO_PLACES)
                results.append(QuestionResult(question, row["n"], mean, [row[f"r{v}"] for v in range(1, 6)]))
        else:
            comments = list(
                SurveyAnswer.objects.filter(question=question)
                .exclude(comment="")
                .order_by("response__submitted_at")
                .values_list("comment", flat=True)
            )
            results.append(QuestionResult(question, len(comments), comments=comments))
    return results


# The pilot feedback report
# ------------------------------------------------------------------------------

TWO_PLACES = Decimal("0.01")
# The figures compared between the pilot, the control group and the baseline, in this order.
REPORT_COMPUTATIONS = [
    Computation.CYCLE_TIME,
    Computation.STEP_TIME,
    Computation.RUN_ON_TIME_RATE,
    Computation.ON_TIME_RATE,
    Computation.ERROR_RATE,
    Computation.EXCEPTION_RATE,
    Computation.ESCALATION_RATE,
]


@dataclass
class Figure:
    indicator: object
    pilot: object  # metrics.selectors.Value
    control: object | None
    baseline: object
    change: Decimal | None  # pilot against baseline, % ((pilot - baseline) / baseline)
    better: bool | None


@dataclass
class StepRow:
    position: int
    title: str
    limit: str
    started: int
    finished: int
    mean_hours: Decimal | None
    on_time_rate: Decimal | None
    late: int


@dataclass
class Report:
    pilot: Pilot
    period: tuple[date, date]
    baseline_period: tuple[date, date]
    runs: dict[str, int]
    figures: list[Figure]
    steps: list[StepRow]
    exceptions: list[dict]
    escalations: list[dict]
    feedback: dict[str, int]
    feedback_items: list
    surveys: list[tuple[object, list[QuestionResult], int]]
    interviews: dict
    standups: list


def report_period(pilot: Pilot) -> tuple[date, date]:
    """From the pilot's start to its end (or today while it runs and has not reached its end)."""
    today = timezone.localdate()
    return pilot.starts_on, max(
        pilot.starts_on, min(pilot.ends_on, today) if pilot.status != "closed" else pilot.ends_on
    )


def baseline_period(pilot: Pilot) -> tuple[date, date]:
    """The pilot's baseline period, or as many days as the pilot lasts just before it starts."""
    if pilot.baseline_start and pilot.baseline_end:
        return pilot.baseline_start, pilot.baseline_end
    days = (pilot.ends_on - pilot.starts_on).days + 1
    return pilot.starts_on - timedelta(days=days), pilot.starts_on - timedelta(days=1)


def _hours(seconds) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / Decimal(3600)).quantize(TWO_PLACES)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TWO_PLACES)


def pilot_report(pilot: Pilot) -> Report:
    """Everything the pilot feedback report shows, each figure one SQL aggregate."""

    process_id = pilot.version.process_id
    start, end = report_period(pilot)
    base_start, base_end = baseline_period(pilot)
    # Runs belong to the pilot by attribution, whenever they finish: count them to today.
    through = max(end, timezone.localdate())
    pilot_runs = PilotRun.objects.filter(pilot=pilot, arm=Arm.PILOT).values("run_id")
    control_runs = PilotRun.objects.filter(pilot=pilot, arm=Arm.CONTROL).values("run_id")
    has_control = pilot.control_departments.exists()
    scope = pilot_department_ids(pilot)
    baseline_runs = Run.objects.filter(version__process_id=process_id, department__in=scope).values("pk")

    indicators = {i.computation: i for i in Indicator.objects.filter(computation__in=REPORT_COMPUTATIONS)}
    figures = []
    for computation in REPORT_COMPUTATIONS:
        indicator = indicators.get(computation)
        if indicator is None:
            continue
        pilot_value = metric_selectors.computed_value(indicator, process_id, start, through, run_ids=pilot_runs)
        control_value = (
            metric_selectors.computed_value(indicator, process_id, start, through, run_ids=control_runs)
            if has_control
            else None
        )
        baseline_value = metric_selectors.indicator_value(
            indicator, process_id, base_start, base_end, run_ids=baseline_runs
        )
        change = better = None
        if pilot_value.value is not None and baseline_value.value:
            change = ((pilot_value.value - baseline_value.value) * 100 / baseline_value.value).quantize(TWO_PLACES)
            if change != 0:
                better = (change < 0) == (indicator.direction == Direction.LOWER)
        figures.append(Figure(indicator, pilot_value, control_value, baseline_value, change, better))

    run_counts = pilot_report_runs(pilot)

    steps = []
    step_rows = (
        WorkItem.objects.filter(run_id__in=pilot_runs, kind="step", automatic=False)
        .values("step_id", "position", "title_en", "title_zh", "step__time_limit", "step__time_unit")
        .annotate(
            started=Count("id"),
            finished=Count("id", filter=Q(status=WorkStatus.DONE)),
            mean=Avg("duration_seconds", filter=Q(status=WorkStatus.DONE)),
            judged=Count("id", filter=Q(on_time__isnull=False)),
            timely=Count("id", filter=Q(on_time=True)),
            late=Count("id", filter=Q(on_time=False)),
        )
        .order_by("position", "step_id")
    )
    chinese = (translation.get_language() or "").startswith("zh")
    for row in step_rows:
        steps.append(
            StepRow(
                position=row["position"],
                title=(row["title_zh"] or row["title_en"]) if chinese else row["title_en"],
                limit=time_limit_text(row["step__time_limit"], row["step__time_unit"]),
                started=row["started"],
                finished=row["finished"],
                mean_hours=_hours(row["mean"]),
                on_time_rate=_percent(row["timely"], row["judged"]),
                late=row["late"],
            )
        )

    exceptions = list(
        WorkItem.objects.filter(run_id__in=pilot_runs, kind="exception")
        .values("exception_plan__trigger_en", "exception_plan__trigger_zh")
        .annotate(n=Count("id"), open=Count("id", filter=Q(status__in=["open", "claimed"])))
        .order_by("-n")
    )
    for row in exceptions:
        row["trigger"] = (
            (row["exception_plan__trigger_zh"] or row["exception_plan__trigger_en"])
            if chinese
            else row["exception_plan__trigger_en"]
        )
    escalations = list(
        Escalation.objects.filter(work_item__run_id__in=pilot_runs)
        .values("level")
        .annotate(n=Count("id"))
        .order_by("level")
    )
    feedback = dict(
        FeedbackItem.objects.filter(pilot=pilot)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    feedback_items = list(
        FeedbackItem.objects.filter(pilot=pilot).select_related(
            "department", "responsible_department", "work_item", "resolved_by"
        )
    )
    surveys = [
        (survey, survey_results(survey), survey.responses.count())
        for survey in pilot.surveys.prefetch_related("questions")
    ]
    interviews = pilot.interviews.aggregate(n=Count("id"), mean=Avg("satisfaction"))
    if interviews["mean"] is not None:
        interviews["mean"] = Decimal(str(interviews["mean"])).quantize(TWO_PLACES)
    return Report(
        pilot=pilot,
        period=(start, end),
        baseline_period=(base_start, base_end),
        runs=run_counts,
        figures=figures,
        steps=steps,
        exceptions=exceptions,
        escalations=escalations,
        feedback=feedback,
        feedback_items=feedback_items,
        surveys=surveys,
        interviews=interviews,
        standups=list(pilot.standups.select_related("draft_version").prefetch_related("attendees")),
    )


def pilot_department_ids(pilot: Pilot) -> set[int]:
    """The pilot departments and every department under them."""

    return access.departments_under(pilot.departments.values_list("pk", flat=True))


def pilot_report_runs(pilot: Pilot) -> dict[str, int]:
    """How many runs belong to the pilot and to its control group."""

    counts = dict(PilotRun.objects.filter(pilot=pilot).values_list("arm").annotate(n=Count("id")))
    return {"pilot": counts.get(Arm.PILOT, 0), "control": counts.get(Arm.CONTROL, 0)}


def history_for_pilot(pilot: Pilot):
    """The audit trail of a pilot: the pilot, its stand-ups, feedback, surveys and interviews."""

    records = list(Pilot.history.filter(id=pilot.pk).select_related("history_user"))
    for model in (StandUp, FeedbackItem, Survey, CustomerInterview):
        records += list(model.history.filter(pilot_id=pilot.pk).select_related("history_user")[:200])
    records = with_changes(records)[:100]
    for record in records:  # who attended shows in the stand-up itself; the raw link rows read badly
        record.changes = [change for change in record.changes if "attendee" not in str(change[0]).lower()]
    return records
