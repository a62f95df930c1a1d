"""Read side of metrics: indicator values per process and period, aggregated in the database."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from processes import access

from .choices import Computation, Source
from .models import Evaluation, Indicator, Measurement

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


def _mean(qs, field, scale=HOUR) -> Value:
    """Mean and sample standard deviation in one pass (sum of squares as floats: no integer overflow,
    and the same SQL on SQLite and PostgreSQL)."""
    as_float = Cast(field, FloatField())
    row = qs.aggregate(n=Count(field), mean=Avg(field), squares=Sum(as_float * as_float))
    n = row["n"]
    if not n:
        return Value(None, 0, source=Source.COMPUTED)
    std = None
    if n > 1:
        mean = float(row["mean"])
        variance = max(0.0, (row["squares"] - n * mean * mean) / (n - 1))
        std = math.sqrt(variance) / float(scale)
    return Value(_decimal(row["mean"], scale), n, std=std, source=Source.COMPUTED)


def _rate(total: int, counted: int) -> Value:
    if not total:
        return Value(None, 0, 0, source=Source.COMPUTED)
    return Value(_decimal(Decimal(counted) * 100 / Decimal(total)), total, counted, source=Source.COMPUTED)


def computed_value(indicator: Indicator, process_id: int, start: date, end: date, *, run_ids=None) -> Value:
    """``run_ids`` (a subquery of run ids, e.g. a pilot's runs) narrows the runs counted."""
    from processes.models import Run, WorkItem

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


def _mean_terms(prefix: str, field: str, condition: Q | None) -> dict:
    as_float = Cast(field, FloatField())
    return {
        f"{prefix}_n": Count(field, filter=condition),
        f"{prefix}_mean": Avg(field, filter=condition),
        f"{prefix}_squares": Sum(as_float * as_float, filter=condition),
    }


def _mean_of(row: dict, prefix: str, scale=HOUR) -> Value:
    """``_mean``'s result from the terms ``_mean_terms`` put in a larger aggregate."""
    n = row[f"{prefix}_n"]
    if not n:
        return Value(None, 0, source=Source.COMPUTED)
    std = None
    if n > 1:
        mean = float(row[f"{prefix}_mean"])
        variance = max(0.0, (row[f"{prefix}_squares"] - n * mean * mean) / (n - 1))
        std = math.sqrt(variance) / float(scale)
    return Value(_decimal(row[f"{prefix}_mean"], scale), n, std=std, source=Source.COMPUTED)


def computed_values(indicators, process_id: int, start: date, end: date, *, run_ids=None) -> dict[int, Value]:
    """``computed_value`` of every computed indicator in ``indicators`` over one period, keyed by
    indicator id, in at most three aggregates: the period's runs (cycle time, run on time, throughput,
    exceptions), its finished manual steps (step, waiting and working time, on time, check errors) and
    the steps created before its end (escalations of those created in it, the backlog open at its end).
    The results equal ``computed_value``'s, which stays the reference."""
    from processes.models import Run, WorkItem

    wanted = [i for i in indicators if i.source == Source.COMPUTED]
    kinds = {i.computation for i in wanted}
    unknown = kinds - RUN_COMPUTATIONS - STEP_COMPUTATIONS - {Computation.ESCALATION_RATE, Computation.BACKLOG}
    if unknown:
        raise ValueError(f"unknown computation {sorted(unknown)[0]!r}")
    lo, hi = period_bounds(start, end)
    runs = Run.objects.filter(version__process_id=process_id)
    if run_ids is not None:
        runs = runs.filter(pk__in=run_ids)
    # The process's steps through their run and version, as ``computed_value`` finds them: on PostgreSQL
    # a parallel hash join on the runs, measured faster than ``run_id IN (the process's runs)``.
    steps = WorkItem.objects.filter(run__version__process_id=process_id, kind="step", automatic=False).order_by()
    if run_ids is not None:
        steps = steps.filter(run_id__in=run_ids)
    results: dict[str, Value] = {}

    if kinds & RUN_COMPUTATIONS:
        finished = Q(finished_at__gte=lo, finished_at__lt=hi, status="done")
        started = Q(started_at__gte=lo, started_at__lt=hi)
        both = Computation.EXCEPTION_RATE in kinds and bool(kinds & (RUN_COMPUTATIONS - {Computation.EXCEPTION_RATE}))
        only_finished = finished if both else None  # no FILTER when the WHERE clause says it already
        terms = {"finished": Count("id", filter=only_finished)}
        if Computation.CYCLE_TIME in kinds:
            terms.update(_mean_terms("cycle", "cycle_seconds", only_finished))
        if Computation.RUN_ON_TIME_RATE in kinds:
            terms["on_time"] = Count("id", filter=Q(on_time=True) & only_finished if both else Q(on_time=True))
        if Computation.EXCEPTION_RATE in kinds:
            terms["started"] = Count("id", filter=started if both else None)
            terms["exceptions"] = Count("id", filter=started & Q(has_exception=True) if both else Q(has_exception=True))
        where = finished | started if both else started if Computation.EXCEPTION_RATE in kinds else finished
        row = runs.order_by().filter(where).aggregate(**terms)
        if Computation.CYCLE_TIME in kinds:
            results[Computation.CYCLE_TIME] = _mean_of(row, "cycle")
        if Computation.RUN_ON_TIME_RATE in kinds:
            results[Computation.RUN_ON_TIME_RATE] = _rate(row["finished"], row["on_time"])
        if Computation.EXCEPTION_RATE in kinds:
            results[Computation.EXCEPTION_RATE] = _rate(row["started"], row["exceptions"])
        if Computation.THROUGHPUT in kinds:
            results[Computation.THROUGHPUT] = Value(Decimal(row["finished"]), None, source=Source.COMPUTED)

    if kinds & STEP_COMPUTATIONS:
        # the period's finished manual steps, no FILTER clauses (they cost more than a second scan)
        terms = {}
        for kind, field in STEP_MEANS.items():
            if kind in kinds:
                terms.update(_mean_terms(kind, field, None))
        if Computation.ON_TIME_RATE in kinds:
            terms["on_time_n"] = Count("id", filter=Q(on_time__isnull=False))
            terms["on_time_k"] = Count("id", filter=Q(on_time=True))
        if Computation.ERROR_RATE in kinds:
            terms["checks_n"] = Sum("checks_total")
            terms["checks_k"] = Sum("checks_failed")
        row = steps.filter(finished_at__gte=lo, finished_at__lt=hi, status="done").aggregate(**terms)
        for kind in STEP_MEANS:
            if kind in kinds:
                results[kind] = _mean_of(row, kind)
        if Computation.ON_TIME_RATE in kinds:
            results[Computation.ON_TIME_RATE] = _rate(row["on_time_n"], row["on_time_k"])
        if Computation.ERROR_RATE in kinds:
            results[Computation.ERROR_RATE] = _rate(row["checks_n"] or 0, row["checks_k"] or 0)

    if kinds & {Computation.ESCALATION_RATE, Computation.BACKLOG}:
        # steps created in the period (escalations) and open at its end (backlog): one pass
        created = Q(created_at__gte=lo)
        open_at_end = Q(finished_at__isnull=True) | Q(finished_at__gte=hi)
        terms, where = {}, []
        if Computation.ESCALATION_RATE in kinds:
            terms["created_n"] = Count("id", filter=created)
            terms["created_k"] = Count("id", filter=created & Q(escalation_level__gt=0))
            where.append(created)
        if Computation.BACKLOG in kinds:
            terms["backlog"] = Count("id", filter=open_at_end)
            where.append(open_at_end)
        condition = where[0] if len(where) == 1 else where[0] | where[1]
        row = steps.filter(created_at__lt=hi).exclude(status="cancelled").filter(condition).aggregate(**terms)
        if Computation.ESCALATION_RATE in kinds:
            results[Computation.ESCALATION_RATE] = _rate(row["created_n"], row["created_k"])
        if Computation.BACKLOG in kinds:
            results[Computation.BACKLOG] = Value(Decimal(row["backlog"]), None, source=Source.COMPUTED)

    return {i.pk: results[i.computation] for i in wanted}


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


def indicator_values(indicators, process_id: int, start: date, end: date, *, run_ids=None) -> dict[int, Value]:
    """``indicator_value`` of each of ``indicators`` over one period, keyed by indicator id: the computed
    ones from ``computed_values`` (one batch), the same fallback to measurements."""
    computed = computed_values(indicators, process_id, start, end, run_ids=run_ids)
    values = {}
    for indicator in indicators:
        value = computed.get(indicator.pk) if indicator.source == Source.COMPUTED else None
        if value is not None and value.value is not None and (value.n is None or value.n > 0):
            values[indicator.pk] = value
        else:
            values[indicator.pk] = measured_value(indicator, process_id, start, end)
    return values


def evaluation_list(*, user):
    qs = Evaluation.objects.select_related("process", "process__department", "created_by")
    return access.scope_queryset(user, qs, field="process__department")


def evaluation_get(*, user, pk):
    from django.shortcuts import get_object_or_404

    qs = evaluation_list(user=user).prefetch_related("rows__indicator")
    return get_object_or_404(qs, pk=pk)


def measurement_list(*, user):
    qs = Measurement.objects.select_related("indicator", "process")
    return access.scope_queryset(user, qs, field="process__department")
