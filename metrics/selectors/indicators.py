"""Read side of metrics: indicator values per process and period, aggregated in the database."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from processes import access
from processes.models import Run, WorkItem

from ..choices import Computation, Source
from ..models import Indicator, Measurement

HOUR = Decimal(3600)


@dataclass
class Value:
    """An indicator's value over a period, with what a significance test needs."""

    value: Decimal | None
    n: int | None = None  # observations (runs, steps, checks, cases)
    numerator: int | None = None  # for rates: the cases counted
    std: float | None = None  # for means: the sample standard deviation
    source: str = ""


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the site's time zone."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def _decimal(value, scale=Decimal(1)) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(str(value)) / scale).quantize(Decimal("0.0001"))


def _sums(field: str) -> dict:
    as_float = Cast(field, FloatField())
    return {f"{field}_n": Count(field), f"{field}_sum": Sum(field), f"{field}_squares": Sum(as_float * as_float)}


def _mean_from(n: int, total, squares, scale=HOUR) -> Value:
    """Mean and sample standard deviation from a count, a sum and a sum of squares."""
    if not n:
        return Value(None, 0, source=Source.COMPUTED)
    mean = Decimal(total) / Decimal(n)
    std = None
    if n > 1:
        variance = max(0.0, (squares - n * float(mean) ** 2) / (n - 1))
        std = math.sqrt(variance) / float(scale)
    return Value(_decimal(mean, scale), n, std=std, source=Source.COMPUTED)


def _mean(qs, field, scale=HOUR) -> Value:
    """Mean and sample standard deviation in one pass (sum of squares as floats: no integer overflow,
    and the same SQL on SQLite and PostgreSQL)."""
    row = qs.aggregate(**_sums(field))
    return _mean_from(row[f"{field}_n"], row[f"{field}_sum"], row[f"{field}_squares"], scale)


def _rate(total: int, counted: int) -> Value:
    if not total:
        return Value(None, 0, 0, source=Source.COMPUTED)
    return Value(_decimal(Decimal(counted) * 100 / Decimal(total)), total, counted, source=Source.COMPUTED)


def computed_value(indicator: Indicator, process_id: int, start: date, end: date, *, run_ids=None) -> Value:
    """``run_ids`` (a subquery of run ids, e.g. a pilot's runs) narrows the runs counted."""

    lo, hi = period_bounds(start, end)
    runs = Run.objects.filter(version__process_id=process_id)
    steps = WorkItem.objects.filter(run__version__process_id=process_id, kind="step", automatic=False)
    if run_ids is not None:
        runs = runs.filter(pk__in=run_ids)
        steps = steps.filter(run_id__in=run_ids)
    finished_steps = steps.filter(finished_at__gte=lo, finished_at__lt=hi, status="done")
    kind = indicator.computation
    if kind == Computation.CYCLE_TIME:
        return _mean(runs.filter(finished_at__gte=lo, finished_at__lt=hi, status="done"), "cycle_seconds")
    if kind == Computation.STEP_TIME:
        return _mean(finished_steps, "duration_seconds")
    if kind == Computation.WAITING_TIME:
        return _mean(finished_steps, "waiting_seconds")
    if kind == Computation.WORKING_TIME:
        return _mean(finished_steps, "working_seconds")
    if kind == Computation.ON_TIME_RATE:
        row = finished_steps.filter(on_time__isnull=False).aggregate(
            n=Count("id"), k=Count("id", filter=Q(on_time=True))
        )
        return _rate(row["n"], row["k"])
    if kind == Computation.RUN_ON_TIME_RATE:
        row = runs.filter(finished_at__gte=lo, finished_at__lt=hi, status="done").aggregate(
            n=Count("id"), k=Count("id", filter=Q(on_time=True))
        )
        return _rate(row["n"], row["k"])
    if kind == Computation.ESCALATION_RATE:
        row = (
            steps.filter(created_at__gte=lo, created_at__lt=hi)
            .exclude(status="cancelled")
            .aggregate(n=Count("id"), k=Count("id", filter=Q(escalation_level__gt=0)))
        )
        return _rate(row["n"], row["k"])
    if kind == Computation.EXCEPTION_RATE:
        row = runs.filter(started_at__gte=lo, started_at__lt=hi).aggregate(
            n=Count("id"), k=Count("id", filter=Q(has_exception=True))
        )
        return _rate(row["n"], row["k"])
    if kind == Computation.ERROR_RATE:
        row = finished_steps.aggregate(n=Sum("checks_total"), k=Sum("checks_failed"))
        return _rate(row["n"] or 0, row["k"] or 0)
    if kind == Computation.THROUGHPUT:
        n = runs.filter(finished_at__gte=lo, finished_at__lt=hi, status="done").count()
        return Value(Decimal(n), None, source=Source.COMPUTED)
    if kind == Computation.BACKLOG:
        n = (
            steps.filter(created_at__lt=hi)
            .exclude(status="cancelled")
            .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=hi))
            .count()
        )
        return Value(Decimal(n), None, source=Source.COMPUTED)
    raise ValueError(f"unknown computation {kind!r}")


RUN_COMPUTATIONS = frozenset(
    {Computation.CYCLE_TIME, Computation.RUN_ON_TIME_RATE, Computation.EXCEPTION_RATE, Computation.THROUGHPUT}
)
STEP_COMPUTATIONS = frozenset(
    {
        Computation.STEP_TIME,
        Computation.WAITING_TIME,
        Computation.WORKING_TIME,
        Computation.ON_TIME_RATE,
        Computation.ERROR_RATE,
    }
)
STEP_MEANS = {
    Computation.STEP_TIME: "duration_seconds",
    Computation.WAITING_TIME: "waiting_seconds",
    Computation.WORKING_TIME: "working_seconds",
}


def _passed(prefix: str, field: str, edges: list[datetime]) -> dict:
    """One boolean per edge: ``field`` is at or after it. Rows grouped by them answer every period whose
    ends are among ``edges``. (Booleans, not one CASE: PostgreSQL then expects a few groups and
    aggregates in parallel workers.)"""
    return {
        f"{prefix}{number}": ExpressionWrapper(Q(**{f"{field}__gte": edge}), output_field=BooleanField())
        for number, edge in enumerate(edges)
    }


class _Groups:
    """Aggregated rows keyed by their buckets, summed over the buckets a condition selects. A row's
    bucket for a field is how many edges lie at or before its timestamp: 0 before the first edge, -1
    when it is empty (NULL compares to nothing)."""

    def __init__(self, rows, edges: int, prefixes: tuple[str, ...]):
        self.rows = []
        for row in rows:
            for prefix in prefixes:
                passed = [row.pop(f"{prefix}{number}") for number in range(edges)]
                row[prefix] = -1 if passed and passed[0] is None else sum(bool(p) for p in passed)
            self.rows.append(row)

    def total(self, column: str, where) -> int | float:
        return sum(row[column] or 0 for row in self.rows if where(row))


def computed_values(indicators, process_id: int, start: date, end: date, *, run_ids=None) -> dict[int, Value]:
    """``computed_value`` of every computed indicator in ``indicators`` over one period, keyed by
    indicator id (``computed_values_over`` with one period)."""
    return computed_values_over(indicators, process_id, [(start, end)], run_ids=run_ids)[0]


def computed_values_over(indicators, process_id: int, periods, *, run_ids=None) -> list[dict[int, Value]]:
    """``computed_value`` of every computed indicator over each of ``periods`` ((start, end) pairs), one
    dict per period keyed by indicator id, in at most three grouped aggregates whatever the number of
    periods and indicators: the runs (cycle time, run on time, throughput, exceptions), the process's
    finished manual steps from ``work_process_done_idx`` (step, waiting and working time, on time, check
    errors, and escalations and backlog among them) and its open manual steps (escalations, backlog).
    Rows are grouped by where their timestamps fall among the periods' ends, and each period adds up its
    groups. The results equal ``computed_value``'s, which stays the reference."""

    wanted = [i for i in indicators if i.source == Source.COMPUTED]
    kinds = {i.computation for i in wanted}
    unknown = kinds - RUN_COMPUTATIONS - STEP_COMPUTATIONS - {Computation.ESCALATION_RATE, Computation.BACKLOG}
    if unknown:
        raise ValueError(f"unknown computation {sorted(unknown)[0]!r}")
    bounds = [period_bounds(start, end) for start, end in periods]
    edges = sorted({edge for pair in bounds for edge in pair})
    position = {edge: number for number, edge in enumerate(edges)}
    # a timestamp lies in [lo, hi) when its bucket is in (position[lo], position[hi]]
    spans = [(position[lo] + 1, position[hi]) for lo, hi in bounds]
    results: list[dict[str, Value]] = [{} for _ in periods]

    if kinds & RUN_COMPUTATIONS:
        runs = Run.objects.filter(version__process_id=process_id).order_by()
        if run_ids is not None:
            runs = runs.filter(pk__in=run_ids)
        finished = Q(status="done", finished_at__gte=edges[0], finished_at__lt=edges[-1])
        started = Q(started_at__gte=edges[0], started_at__lt=edges[-1])
        terms = {"runs": Count("id"), **_sums("cycle_seconds")}
        terms["on_time"] = Count("id", filter=Q(on_time=True))
        terms["exceptions"] = Count("id", filter=Q(has_exception=True))
        keys = {"done": ExpressionWrapper(Q(status="done"), output_field=BooleanField())}
        keys |= _passed("fb", "finished_at", edges) | _passed("sb", "started_at", edges)
        groups = _Groups(runs.filter(finished | started).values(**keys).annotate(**terms), len(edges), ("fb", "sb"))
        for row in groups.rows:
            row["fb"] = row["fb"] if row.pop("done") else -1  # finished counts for runs done only
        for result, (first, last) in zip(results, spans, strict=True):
            done = lambda row, first=first, last=last: first <= row["fb"] <= last  # noqa: E731
            began = lambda row, first=first, last=last: first <= row["sb"] <= last  # noqa: E731
            finished_n = groups.total("runs", done)
            result[Computation.CYCLE_TIME] = _mean_from(
                groups.total("cycle_seconds_n", done),
                groups.total("cycle_seconds_sum", done),
                groups.total("cycle_seconds_squares", done),
            )
            result[Computation.RUN_ON_TIME_RATE] = _rate(finished_n, groups.total("on_time", done))
            result[Computation.EXCEPTION_RATE] = _rate(groups.total("runs", began), groups.total("exceptions", began))
            result[Computation.THROUGHPUT] = Value(Decimal(finished_n), None, source=Source.COMPUTED)

    step_kinds = kinds & (STEP_COMPUTATIONS | {Computation.ESCALATION_RATE, Computation.BACKLOG})
    if step_kinds:
        steps = WorkItem.objects.filter(process_id=process_id, kind="step", automatic=False).order_by()
        if run_ids is not None:
            steps = steps.filter(run_id__in=run_ids)
        later = bool(step_kinds & {Computation.ESCALATION_RATE, Computation.BACKLOG})
        # finished steps: those finished in a period, and (escalations, backlog) those finished after
        # its start, which every step created in it and every step still open at its end is
        done = steps.filter(status="done", finished_at__gte=edges[0])
        if not later:
            done = done.filter(finished_at__lt=edges[-1])
        # only columns of work_process_done_idx (no ``id``), so the index answers alone
        terms = {"steps": Count("*")}
        for field in STEP_MEANS.values():
            terms.update(_sums(field))
        terms["on_time_n"] = Count("on_time")
        terms["on_time_k"] = Count("on_time", filter=Q(on_time=True))
        terms["checks_n"] = Sum("checks_total")
        terms["checks_k"] = Sum("checks_failed")
        terms["escalated"] = Count("escalation_level", filter=Q(escalation_level__gt=0))
        keys = _passed("fb", "finished_at", edges) | (_passed("cb", "created_at", edges) if later else {})
        prefixes = ("fb", "cb") if later else ("fb",)
        groups = _Groups(done.values(**keys).annotate(**terms), len(edges), prefixes)
        opened = _Groups((), len(edges), ())
        if later:  # steps not finished (open or in progress): created before a period's end
            opened = _Groups(
                steps.filter(status__in=["open", "claimed"], created_at__lt=edges[-1])
                .values(**_passed("cb", "created_at", edges))
                .annotate(steps=Count("id"), escalated=Count("id", filter=Q(escalation_level__gt=0))),
                len(edges),
                ("cb",),
            )
        for result, (first, last) in zip(results, spans, strict=True):
            inside = lambda row, first=first, last=last: first <= row["fb"] <= last  # noqa: E731
            for kind, field in STEP_MEANS.items():
                result[kind] = _mean_from(
                    groups.total(f"{field}_n", inside),
                    groups.total(f"{field}_sum", inside),
                    groups.total(f"{field}_squares", inside),
                )
            result[Computation.ON_TIME_RATE] = _rate(
                groups.total("on_time_n", inside), groups.total("on_time_k", inside)
            )
            result[Computation.ERROR_RATE] = _rate(groups.total("checks_n", inside), groups.total("checks_k", inside))
            if later:
                created = lambda row, first=first, last=last: first <= row["cb"] <= last  # noqa: E731
                result[Computation.ESCALATION_RATE] = _rate(
                    groups.total("steps", created) + opened.total("steps", created),
                    groups.total("escalated", created) + opened.total("escalated", created),
                )
                # open at the end: created before it and finished at or after it, or not finished
                open_at_end = lambda row, last=last: 0 <= row["cb"] <= last < row["fb"]  # noqa: E731
                before_end = lambda row, last=last: 0 <= row["cb"] <= last  # noqa: E731
                backlog = groups.total("steps", open_at_end) + opened.total("steps", before_end)
                result[Computation.BACKLOG] = Value(Decimal(backlog), None, source=Source.COMPUTED)

    return [{i.pk: result[i.computation] for i in wanted} for result in results]


def measured_value(indicator: Indicator, process_id: int, start: date, end: date) -> Value:
    """Measurements that lie inside the period, pooled: weighted by their observations when known."""
    rows = list(
        Measurement.objects.filter(
            indicator=indicator, process_id=process_id, period_start__gte=start, period_end__lte=end
        ).values_list("value", "sample_size", "numerator")
    )
    if not rows:
        return Value(None, source=Source.MEASURED)
    if all(n for _, n, _ in rows):
        total = sum(n for _, n, _ in rows)
        value = sum(v * n for v, n, _ in rows) / total
        counted = sum(k for _, _, k in rows) if all(k is not None for _, _, k in rows) else None
        return Value(_decimal(value), total, counted, source=Source.MEASURED)
    return Value(_decimal(sum(v for v, _, _ in rows) / len(rows)), None, source=Source.MEASURED)


def indicator_value(indicator: Indicator, process_id: int, start: date, end: date, *, run_ids=None) -> Value:
    """Computed from runs when the period has runs; otherwise the imported or entered measurements
    (the baseline before OpsFlow ran the process usually comes from there)."""
    if indicator.source == Source.COMPUTED:
        value = computed_value(indicator, process_id, start, end, run_ids=run_ids)
        if value.value is not None and (value.n is None or value.n > 0):
            return value
    return measured_value(indicator, process_id, start, end)


def indicator_values_over(indicators, process_id: int, periods, *, run_ids=None) -> list[dict[int, Value]]:
    """``indicator_value`` of each of ``indicators`` over each of ``periods``: the computed ones from
    ``computed_values_over`` (one batch for all periods), the same fallback to measurements."""
    computed = computed_values_over(indicators, process_id, periods, run_ids=run_ids)
    answers = []
    for (start, end), values_of_period in zip(periods, computed, strict=True):
        values = {}
        for indicator in indicators:
            value = values_of_period.get(indicator.pk) if indicator.source == Source.COMPUTED else None
            if value is not None and value.value is not None and (value.n is None or value.n > 0):
                values[indicator.pk] = value
            else:
                values[indicator.pk] = measured_value(indicator, process_id, start, end)
        answers.append(values)
    return answers


def measurement_list(*, user):
    qs = Measurement.objects.select_related("indicator", "process")
    return access.scope_queryset(user, qs, field="process__department")
