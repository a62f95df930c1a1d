"""Read side of metrics: indicator values per process and period, aggregated in the database."""

from __future__ import annotations

import operator
from datetime import date, datetime, time, timedelta
from functools import reduce

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from processes import access
from processes.choices import RunStatus, WorkKind, WorkStatus
from processes.models import Run, WorkItem

from .. import computations
from ..choices import Source
from ..computations import Subject, Value, Window, decimal_value
from ..models import Indicator, Measurement


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the site's time zone."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def _rows(subject: Subject, process_id: int, run_ids=None):
    """The rows a computation counts for one process (one aggregate per indicator: joined to the versions)."""
    if subject is Subject.RUNS:
        runs = Run.objects.filter(version__process_id=process_id)
        return runs.filter(pk__in=run_ids) if run_ids is not None else runs
    steps = WorkItem.objects.filter(run__version__process_id=process_id, kind=WorkKind.STEP, automatic=False)
    return steps.filter(run_id__in=run_ids) if run_ids is not None else steps


def computed_value(indicator: Indicator, process_id: int, start: date, end: date, *, run_ids=None) -> Value:
    """One computed indicator over one period in one aggregate (its declaration in ``metrics.computations``);
    ``run_ids`` (a subquery of run ids, e.g. a pilot's runs) narrows the runs counted."""
    declared = computations.get(indicator.computation)
    lo, hi = period_bounds(start, end)
    sums = _rows(declared.subject, process_id, run_ids).filter(declared.q(lo, hi)).aggregate(**declared.terms())
    return declared.value(sums.__getitem__)


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


def _terms(declarations) -> dict:
    terms = {}
    for declared in declarations:
        terms.update(declared.terms())
    return terms


def _run_groups(declarations, process_id: int, edges, run_ids) -> _Groups:
    """The runs of the process grouped by the buckets of their end (runs done only: -1 otherwise) and of
    their start, whichever the declarations' windows need."""
    windows = {d.window for d in declarations}
    runs = Run.objects.filter(version__process_id=process_id).order_by()
    if run_ids is not None:
        runs = runs.filter(pk__in=run_ids)
    conditions, keys, prefixes = [], {}, ()
    if Window.FINISHED in windows:
        conditions.append(Q(status=RunStatus.DONE, finished_at__gte=edges[0], finished_at__lt=edges[-1]))
        keys["done"] = ExpressionWrapper(Q(status=RunStatus.DONE), output_field=BooleanField())
        keys |= _passed("fb", "finished_at", edges)
        prefixes += ("fb",)
    if Window.STARTED in windows:
        conditions.append(Q(started_at__gte=edges[0], started_at__lt=edges[-1]))
        keys |= _passed("sb", "started_at", edges)
        prefixes += ("sb",)
    groups = _Groups(
        runs.filter(reduce(operator.or_, conditions)).values(**keys).annotate(**_terms(declarations)),
        len(edges),
        prefixes,
    )
    if Window.FINISHED in windows:
        for row in groups.rows:
            row["fb"] = row["fb"] if row.pop("done") else -1  # finished counts for runs done only
    return groups


def _step_groups(declarations, process_id: int, edges, run_ids) -> tuple[_Groups, _Groups]:
    """The process's manual steps: those done, from ``work_process_done_idx`` (grouped by the buckets of
    their end and, when a window asks for it, of their creation), and those not finished yet (open or in
    progress, by the buckets of their creation; only for the windows of creation and of the open backlog)."""
    later = bool({d.window for d in declarations} & {Window.CREATED, Window.OPEN_AT_END})
    steps = WorkItem.objects.filter(process_id=process_id, kind=WorkKind.STEP, automatic=False).order_by()
    if run_ids is not None:
        steps = steps.filter(run_id__in=run_ids)
    # finished steps: those finished in a period, and (creation, backlog) those finished after its start,
    # which every step created in it and every step still open at its end is
    done = steps.filter(status=WorkStatus.DONE, finished_at__gte=edges[0])
    if not later:
        done = done.filter(finished_at__lt=edges[-1])
    keys = _passed("fb", "finished_at", edges) | (_passed("cb", "created_at", edges) if later else {})
    prefixes = ("fb", "cb") if later else ("fb",)
    finished = _Groups(done.values(**keys).annotate(**_terms(declarations)), len(edges), prefixes)
    unfinished = _Groups((), len(edges), ())
    if later:  # created before a period's end
        pending = [d for d in declarations if d.window in (Window.CREATED, Window.OPEN_AT_END)]
        unfinished = _Groups(
            steps.filter(status__in=[WorkStatus.OPEN, WorkStatus.CLAIMED], created_at__lt=edges[-1])
            .values(**_passed("cb", "created_at", edges))
            .annotate(**_terms(pending)),
            len(edges),
            ("cb",),
        )
    return finished, unfinished


def _never(row) -> bool:
    return False


def _in_window(window: Window, first: int, last: int):
    """Which grouped rows (by their buckets) lie in ``window`` of the period whose timestamps have the
    buckets ``first`` to ``last``: for the rows done, and for the rows not finished (steps)."""
    if window is Window.FINISHED:
        return (lambda row: first <= row["fb"] <= last), _never
    if window is Window.STARTED:
        return (lambda row: first <= row["sb"] <= last), _never
    if window is Window.CREATED:
        created = lambda row: first <= row["cb"] <= last  # noqa: E731
        return created, created
    # open at the end: created before it and finished at or after it, or not finished
    return (lambda row: 0 <= row["cb"] <= last < row["fb"]), (lambda row: 0 <= row["cb"] <= last)


def _summed(done: _Groups, pending: _Groups, in_done, in_pending):
    """A term's total over the rows of one window: ``total(name)`` for a declaration's ``value``."""
    return lambda name: done.total(name, in_done) + pending.total(name, in_pending)


def computed_values(indicators, process_id: int, start: date, end: date, *, run_ids=None) -> dict[int, Value]:
    """``computed_value`` of every computed indicator in ``indicators`` over one period, keyed by
    indicator id (``computed_values_over`` with one period)."""
    return computed_values_over(indicators, process_id, [(start, end)], run_ids=run_ids)[0]


def computed_values_over(indicators, process_id: int, periods, *, run_ids=None) -> list[dict[int, Value]]:
    """``computed_value`` of every computed indicator over each of ``periods`` ((start, end) pairs), one
    dict per period keyed by indicator id, in at most three grouped aggregates whatever the number of
    periods and indicators: the runs, the process's finished manual steps from ``work_process_done_idx``
    and (for the windows of creation and backlog) its open manual steps, each with the terms of the
    declarations counted over it. Rows are grouped by where their timestamps fall among the periods' ends,
    and each period adds up its groups. The results equal ``computed_value``'s, which stays the reference."""
    wanted = [i for i in indicators if i.source == Source.COMPUTED]
    declared = {i.computation: computations.get(i.computation) for i in wanted}
    bounds = [period_bounds(start, end) for start, end in periods]
    edges = sorted({edge for pair in bounds for edge in pair})
    position = {edge: number for number, edge in enumerate(edges)}
    # a timestamp lies in [lo, hi) when its bucket is in (position[lo], position[hi]]
    spans = [(position[lo] + 1, position[hi]) for lo, hi in bounds]
    empty = _Groups((), len(edges), ())
    groups = {}
    for subject in Subject:
        declarations = [d for d in declared.values() if d.subject is subject]
        if not declarations:
            continue
        if subject is Subject.RUNS:
            groups[subject] = (_run_groups(declarations, process_id, edges, run_ids), empty)
        else:
            groups[subject] = _step_groups(declarations, process_id, edges, run_ids)

    results = []
    for first, last in spans:
        result = {}
        for computation, declaration in declared.items():
            in_window = _in_window(declaration.window, first, last)
            result[computation] = declaration.value(_summed(*groups[declaration.subject], *in_window))
        results.append({i.pk: result[i.computation] for i in wanted})
    return results


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
        return Value(decimal_value(value), total, counted, source=Source.MEASURED)
    return Value(decimal_value(sum(v for v, _, _ in rows) / len(rows)), None, source=Source.MEASURED)


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
