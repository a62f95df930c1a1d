"""Plotly figures for the dashboards. Every figure comes with the numbers behind it as a table.

Figures are built on the server as plotly JSON (plain dicts: ``plotly.graph_objects`` would validate
every property, a tenth of a second per dashboard); ``static/js/charts.js`` draws them with the
plotly.js that the plotly package ships (served from our static files). All aggregation happens in
SQL: a dashboard runs a handful of grouped queries and never loads task rows into Python.

Each dashboard function takes the user (whose department scope narrows every query) and the request's
parameters, and returns its charts, each with a ``key``; ``only=key`` builds just that chart (the
CSV/XLSX export of one chart's numbers).
"""

from __future__ import annotations

import html
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Count, F, Func, IntegerField, Q, Sum, Value
from django.db.models.functions import Cast, Least, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from processes import access
from processes.choices import ProjectPhase, Role, RunStatus, VersionStatus, WorkKind
from processes.documents.formatting import time_limit as time_limit_text
from processes.models import (
    Department,
    Escalation,
    ImprovementProject,
    Process,
    Run,
    StandardVersion,
    Step,
    WorkItem,
)
from processes.models.base import is_chinese
from processes.models.work import OPEN_STATUSES

from ..computations import ON_TIME_RATE, WAITING_TIME, WORKING_TIME
from .indicators import period_bounds

COLORS = {
    "before": "#9aa7b8",
    "after": "#1f5fa8",
    "bad": "#b3261e",
    "ok": "#1b6e3a",
    "control": "#9aa7b8",
    "pilot": "#1f5fa8",
    "limit": "#1d2733",
}
LAYOUT = dict(
    margin=dict(l=50, r=20, t=80, b=60),
    height=340,
    font=dict(family="Segoe UI, Roboto, PingFang SC, Microsoft YaHei, WenQuanYi Micro Hei, sans-serif", size=13),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    paper_bgcolor="rgba(0,0,0,0)",
    plot_bgcolor="#ffffff",
)

# The period choices of the filters (days back from today); ``from``/``to`` give any other period.
PERIODS = (
    (28, gettext_lazy("last 4 weeks")),
    (84, gettext_lazy("last 12 weeks")),
    (182, gettext_lazy("last 6 months")),
    (365, gettext_lazy("last 12 months")),
    (730, gettext_lazy("last 24 months")),
)
# Cycle-time histograms: bucket widths (hours) to choose from, and the last bucket, which takes
# every longer run, so one run that took a month does not squash the others into one bar.
BUCKET_HOURS = (Decimal("0.25"), Decimal("0.5"), 1, 2, 4, 6, 12, 24, 48, 168)
MAX_BUCKETS = 24
# The database counts runs per quarter hour of cycle time (every width above is a whole number of
# them), so one pass gives both the mean that picks the width and the buckets of that width.
QUARTER = 900
QUARTERS_CAP = MAX_BUCKETS * 168 * 4
AXIS = {"automargin": True, "gridcolor": "#e8edf3", "zerolinecolor": "#c9d2dd", "linecolor": "#c9d2dd"}
# JSON inside <script>: no "</script>" or "<!--" can end it early (as Django's json_script)
JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def bar_trace(x: list, y: list, color, name: str | None = None, **extra) -> dict:
    trace = {"type": "bar", "x": x, "y": y, "marker": {"color": color}, **extra}
    if name is not None:
        trace["name"] = name
    return trace


def _count_axis(values, **extra) -> dict:
    """An axis of counts: from zero, whole numbers while they are few."""
    axis = {"rangemode": "tozero", **extra}
    if max((v for v in values if v is not None), default=0) < 8:
        axis["dtick"] = 1
    return axis


def make_chart(
    traces: list[dict],
    key: str,
    title: str,
    header: list,
    rows: list,
    *,
    layout: dict | None = None,
    empty: bool | None = None,
) -> dict:
    """The figure as JSON with its numbers; ``layout`` adds to ``LAYOUT`` (axes to ``AXIS``);
    ``empty`` (default: no rows) writes "no data" across the plot."""
    extra = dict(layout or {})
    figure = {**LAYOUT, "title": {"text": title, "x": 0, "y": 0.97, "yanchor": "top"}}
    for axis in ("xaxis", "yaxis"):
        figure[axis] = {**AXIS, **extra.pop(axis, {})}
    figure.update(extra)
    if (not rows) if empty is None else empty:
        figure["annotations"] = [
            {
                "text": _("No data for this selection."),
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"size": 14, "color": "#5a6675"},
            }
        ]
        figure["xaxis"]["visible"] = figure["yaxis"]["visible"] = False
        figure["showlegend"] = False
    data = json.dumps({"data": traces, "layout": figure}, separators=(",", ":"), ensure_ascii=False)
    return {"key": key, "title": title, "json": data.translate(JSON_ESCAPES), "header": header, "rows": rows}


def tick_label(text: str, width: int = 14) -> str:
    """A category label broken onto lines (plotly does not wrap tick labels), so phones fit it.

    Names come from users: plotly reads ``<``, ``>`` and ``&`` in labels as its own HTML-like markup, so
    they are escaped as entities (which plotly shows as the characters typed)."""
    return "<br>".join(html.escape(line, quote=False) for line in textwrap.wrap(str(text), width)) or html.escape(
        str(text), quote=False
    )


def to_hours(seconds) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def change_percent(before, after) -> float | None:
    """(after - before) / before in %, from the unrounded means."""
    return round(100 * (after - before) / before, 2) if before and after is not None else None


def _name(row: dict, prefix: str) -> str:
    """A department's name in the active language from a ``values()`` row."""
    zh, en = row[f"{prefix}name_zh"], row[f"{prefix}name_en"]
    return (zh if is_chinese() and zh else en) or "—"


def _number(value) -> str:
    return f"{Decimal(str(value)).normalize():f}"


def effect_chart(rows) -> dict:
    """Before and after per indicator of an effect evaluation (values in each indicator's unit)."""
    labels = [f"{r['indicator'].name} ({r['indicator'].unit})" for r in rows]
    before = [float(r["before"]) if r["before"] is not None else None for r in rows]
    after = [float(r["after"]) if r["after"] is not None else None for r in rows]
    ticks = [tick_label(x) for x in labels]
    traces = [
        bar_trace(ticks, before, COLORS["before"], _("Before")),
        bar_trace(ticks, after, COLORS["after"], _("After")),
    ]
    table = [[label, b, a, r["change_text"]] for label, b, a, r in zip(labels, before, after, rows, strict=True)]
    return make_chart(
        traces,
        "effect",
        _("Before and after"),
        [_("Indicator"), _("Before"), _("After"), _("Change")],
        table,
        layout={"barmode": "group", "xaxis": {"type": "category"}},
    )


# Filters
# ------------------------------------------------------------------------------


@dataclass
class Filters:
    """The period, department and process a dashboard shows, read from the request's parameters."""

    days: int
    start: date
    end: date
    custom: bool  # a period given by its dates rather than one of PERIODS
    department: str  # the chosen department's id as text, "" for all
    process: str
    departments: object  # the departments (queryset) the user may choose from
    processes: object
    department_ids: set[int] | None  # the chosen department and every team under it; None: all

    @property
    def bounds(self):
        return period_bounds(self.start, self.end)

    @property
    def process_id(self) -> int | None:
        return int(self.process) if self.process else None

    def query(self) -> dict:
        """Parameters that select the same again (the export links carry them)."""
        if self.custom:
            params = {"days": "custom", "from": self.start.isoformat(), "to": self.end.isoformat()}
        else:
            params = {"days": self.days}
        if self.department:
            params["department"] = self.department
        if self.process:
            params["process"] = self.process
        return params


def int_param(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


def _date(value) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def filters(user, params, *, default_days: int = 84) -> Filters:
    """Unknown or foreign values fall back to "all": the scope still narrows every query."""
    today = timezone.localdate()
    raw_days = str(params.get("days") or "")
    days = int_param(raw_days)
    if days not in {d for d, _label in PERIODS}:
        days = default_days
    start, end = _date(params.get("from")), _date(params.get("to"))
    # dates count when the period select says so, or when a link gives only dates
    custom = (raw_days == "custom" or not raw_days) and (start is not None or end is not None)
    if custom:
        end = end or today
        start = start or end - timedelta(days=days - 1)
        if start > end:
            start, end = end, start
    else:
        start, end = today - timedelta(days=days - 1), today
    departments = access.scope_queryset(user, Department.objects.all(), field="pk")
    processes = access.scope_queryset(user, Process.objects.all()).order_by("code")
    department = int_param(params.get("department"))
    department_ids = None
    if department is not None and departments.filter(pk=department).exists():
        department_ids = access.departments_under([department])
    else:
        department = None
    process = int_param(params.get("process"))
    if process is not None and not processes.filter(pk=process).exists():
        process = None
    return Filters(
        days=days,
        start=start,
        end=end,
        custom=custom,
        department=str(department) if department is not None else "",
        process=str(process) if process is not None else "",
        departments=departments,
        processes=processes,
        department_ids=department_ids,
    )


def is_wanted(only: str | None, key: str) -> bool:
    return only is None or only == key


class _WeekOf(Func):
    """PostgreSQL: which of the ascending week starts a moment falls in (1 = the first week): one
    binary search per row, where truncating to the week converts every row to the local time zone."""

    function = "WIDTH_BUCKET"
    output_field = IntegerField()


def _week_starts(lo, hi) -> list[datetime]:
    """Monday 00:00 (local time) of every week from the one holding ``lo`` until ``hi``."""
    day = timezone.localdate(lo)
    day -= timedelta(days=day.weekday())
    starts = []
    while True:
        start = timezone.make_aware(datetime.combine(day, time.min))
        if start >= hi:
            return starts
        starts.append(start)
        day += timedelta(days=7)


def _by_week(queryset, field: str, lo, hi, **aggregates) -> list[tuple[date, dict]]:
    """``aggregates`` per week (Monday to Sunday, local time) of ``field``, oldest first; the
    queryset must already keep ``field`` within [lo, hi)."""
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.fields import ArrayField
        from django.db.models import DateTimeField

        starts = _week_starts(lo, hi)
        week = _WeekOf(F(field), Value(starts, output_field=ArrayField(DateTimeField())))
        rows = queryset.annotate(week=week).values("week").annotate(**aggregates).order_by("week")
        return [(timezone.localdate(starts[row.pop("week") - 1]), row) for row in rows]
    rows = queryset.annotate(week=TruncWeek(field)).values("week").annotate(**aggregates).order_by("week")
    return [(timezone.localdate(row.pop("week")), row) for row in rows]


# Manager overview
# ------------------------------------------------------------------------------


def overview(*, user, params, only: str | None = None) -> dict:
    """Manager overview: projects by phase, on-time trend, escalations by department and role, open
    backlog and overdue work; filtered by period, department (with its teams) and process."""
    f = filters(user, params)
    lo, hi = f.bounds
    now = timezone.now()
    steps = access.scope_queryset(user, WorkItem.objects.filter(kind="step", automatic=False))
    work = access.scope_queryset(user, WorkItem.objects.filter(automatic=False))  # every kind of owned work
    # an escalated item has reached a level: the condition lets the database read a small index
    escalations = access.scope_queryset(
        user, Escalation.objects.filter(work_item__escalation_level__gt=0), field="work_item__department"
    )
    if f.department_ids is not None:
        steps = steps.filter(department__in=f.department_ids)
        work = work.filter(department__in=f.department_ids)
        escalations = escalations.filter(work_item__department__in=f.department_ids)
    if f.process_id:  # by the ids of the process's steps and versions: fewer joins on a million rows
        step_ids = list(Step.objects.filter(version__process_id=f.process_id).values_list("pk", flat=True))
        version_ids = list(StandardVersion.objects.filter(process_id=f.process_id).values_list("pk", flat=True))
        steps = steps.filter(step__in=step_ids)
        work = work.filter(run__version__in=version_ids)
        escalations = escalations.filter(work_item__run__version__in=version_ids)
    charts, totals = [], {}

    if is_wanted(only, "projects"):
        charts.append(_projects_by_phase(user, f))

    if is_wanted(only, "on-time"):
        by_week = _by_week(
            steps.filter(ON_TIME_RATE.q(lo, hi)),
            "finished_at",
            lo,
            hi,
            n=Count("id"),
            **ON_TIME_RATE.terms(),  # timed, punctual
        )
        weeks = [week.isoformat() for week, _row in by_week]
        weekly = [row for _week, row in by_week]
        rates = [percent(row["punctual"], row["timed"]) for row in weekly]
        trend = {
            "type": "scatter",
            "x": weeks,
            "y": rates,
            "mode": "lines+markers",
            "name": _("On-time rate (%)"),
            "connectgaps": False,
            "line": {"color": COLORS["ok"]},
            "marker": {"color": COLORS["ok"]},
        }
        charts.append(
            make_chart(
                [trend],
                "on-time",
                _("On-time rate of steps per week"),
                [_("Week"), _("Steps finished"), _("With a time limit"), _("On time"), _("On-time rate (%)")],
                [[w, r["n"], r["timed"], r["punctual"], rate] for w, r, rate in zip(weeks, weekly, rates, strict=True)],
                layout={
                    "yaxis": {"range": [0, 105], "ticksuffix": "%"},
                    # half a category of room at each end: the first week's label stays off the axis
                    "xaxis": {"type": "category", "range": [-0.5, max(len(weeks), 1) - 0.5]},
                },
            )
        )
        totals["finished"] = sum(r["n"] for r in weekly)
        totals["punctual"] = sum(r["punctual"] for r in weekly)
        totals["on_time_rate"] = percent(totals["punctual"], sum(r["timed"] for r in weekly))

    if is_wanted(only, "escalations"):
        by_dept = list(
            escalations.filter(created_at__gte=lo, created_at__lt=hi)
            .values("work_item__department__name_en", "work_item__department__name_zh", "work_item__role")
            .annotate(n=Count("id"))
            .order_by("-n", "work_item__department__name_en", "work_item__role")
        )
        depts = [_name(r, "work_item__department__") for r in by_dept]
        roles = [str(Role(r["work_item__role"]).label) for r in by_dept]
        labels = [f"{d} · {role}" for d, role in zip(depts, roles, strict=True)]
        bars = bar_trace([r["n"] for r in by_dept], [tick_label(x, 24) for x in labels], COLORS["bad"], orientation="h")
        layout = {
            "height": max(260, 140 + 40 * len(by_dept)),
            "yaxis": {"autorange": "reversed", "type": "category"},
            "xaxis": _count_axis([r["n"] for r in by_dept]),
        }
        charts.append(
            make_chart(
                [bars],
                "escalations",
                _("Escalations by department and role"),
                [_("Department"), _("Role"), _("Escalations")],
                [[d, role, r["n"]] for d, role, r in zip(depts, roles, by_dept, strict=True)],
                layout=layout,
            )
        )

    if is_wanted(only, "backlog"):
        backlog = list(
            work.filter(status__in=OPEN_STATUSES)
            .values("department__name_en", "department__name_zh")
            .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
            .order_by("-n", "department__name_en")
        )
        names = [_name(r, "department__") for r in backlog]
        ticks = [tick_label(n) for n in names]
        traces = [
            bar_trace(ticks, [r["n"] - r["overdue"] for r in backlog], COLORS["after"], _("In time")),
            bar_trace(ticks, [r["overdue"] for r in backlog], COLORS["bad"], _("Overdue")),
        ]
        charts.append(
            make_chart(
                traces,
                "backlog",
                _("Open work and overdue work by department (now)"),
                [_("Department"), _("Open"), _("Of which overdue")],
                [[name, r["n"], r["overdue"]] for name, r in zip(names, backlog, strict=True)],
                layout={
                    "barmode": "stack",
                    "xaxis": {"type": "category"},
                    "yaxis": _count_axis([r["n"] for r in backlog]),
                },
            )
        )
        totals["open"] = sum(r["n"] for r in backlog)
        totals["overdue"] = sum(r["overdue"] for r in backlog)
    return {"filters": f, "query": f.query(), "totals": totals, "charts": charts}


def _projects_by_phase(user, f: Filters) -> dict:
    projects = access.scope_queryset(user, ImprovementProject.objects.all())
    if f.department_ids is not None:
        projects = projects.filter(department__in=f.department_ids)
    if f.process_id:
        projects = projects.filter(processes=f.process_id)
    counts = dict(projects.order_by().values_list("phase").annotate(n=Count("id", distinct=True)))
    phases = [(value, str(label)) for value, label in ProjectPhase.choices]
    bars = bar_trace(
        [counts.get(value, 0) for value, _label_ in phases],
        [tick_label(label, 16) for _value, label in phases],
        [COLORS["before"] if value == ProjectPhase.CLOSED else COLORS["after"] for value, _l in phases],
        orientation="h",
    )
    return make_chart(
        [bars],
        "projects",
        _("Improvement projects by phase"),
        [_("Phase"), _("Projects")],
        [[label, counts.get(value, 0)] for value, label in phases],
        layout={"xaxis": _count_axis(counts.values()), "yaxis": {"type": "category", "autorange": "reversed"}},
        empty=not any(counts.values()),
    )


# Cycle-time histograms (process and pilot dashboards)
# ------------------------------------------------------------------------------


def bucket_width(mean_seconds, requested) -> Decimal:
    """The requested width, or the narrowest that puts the mean within the first six buckets."""
    if requested:
        return Decimal(min(max(requested, 1), 168))
    if not mean_seconds:
        return Decimal(1)
    for size in BUCKET_HOURS:
        if Decimal(str(mean_seconds)) / 3600 / Decimal(size) <= 6:
            return Decimal(size)
    return Decimal(BUCKET_HOURS[-1])


def cycle_quarters(runs, group: str | None = None) -> dict:
    """``{quarter-hour index: [runs, their total seconds]}`` in one pass, or with ``group`` a field
    name ``{its value: {quarter-hour index: [...]}}``."""
    quarter = Least(Cast(F("cycle_seconds") / QUARTER, IntegerField()), Value(QUARTERS_CAP))
    fields = [group, "quarter"] if group else ["quarter"]
    rows = runs.annotate(quarter=quarter).values(*fields).annotate(n=Count("id"), total=Sum("cycle_seconds"))
    result: dict = {}
    for row in rows.order_by():
        cell = (result.setdefault(row[group], {}) if group else result).setdefault(row["quarter"], [0, 0])
        cell[0] += row["n"]
        cell[1] += row["total"]
    return result


def merge_quarters(*counts: dict) -> dict:
    merged: dict = {}
    for quarters in counts:
        for index, (n, total) in quarters.items():
            cell = merged.setdefault(index, [0, 0])
            cell[0] += n
            cell[1] += total
    return merged


def runs_and_mean(quarters: dict) -> tuple[int, float | None]:
    n = sum(cell[0] for cell in quarters.values())
    return n, (sum(cell[1] for cell in quarters.values()) / n if n else None)


def bucket_counts(quarters: dict, size: Decimal) -> dict:
    """``{bucket index: runs}`` for buckets ``size`` hours wide; the last takes every longer run."""
    width = int(size * 4)  # quarter hours per bucket
    result: dict = {}
    for index, (n, _total) in quarters.items():
        bucket = min(index // width, MAX_BUCKETS)
        result[bucket] = result.get(bucket, 0) + n
    return result


def bucket_rows(series: list[dict], size: Decimal) -> tuple[list[str], list[list]]:
    """Category labels and table rows (from, to, one count per series) from the first to the last
    bucket that holds a run."""
    seen = {index for counts in series for index in counts}
    if not seen:
        return [], []
    labels, table = [], []
    for index in range(min(seen), max(seen) + 1):
        low = size * index
        high = None if index == MAX_BUCKETS else size * (index + 1)
        if high is None:
            labels.append(_("≥ %(from)s h") % {"from": _number(low)})
        else:
            labels.append(_("%(from)s–%(to)s h") % {"from": _number(low), "to": _number(high)})
        table.append(
            [float(low), float(high) if high is not None else None, *[counts.get(index, 0) for counts in series]]
        )
    return labels, table


def histogram_traces(labels, series_names, series_counts, colors) -> list[dict]:
    return [
        bar_trace(labels, counts, color, name)
        for name, counts, color in zip(series_names, series_counts, colors, strict=True)
    ]


def histogram_layout(table: list[list]) -> dict:
    return {
        "barmode": "group",
        "bargap": 0.15,
        "xaxis": {"title": {"text": _("cycle time")}, "type": "category"},
        "yaxis": _count_axis([n for row in table for n in row[2:]], title={"text": _("runs")}),
    }


# Process dashboard
# ------------------------------------------------------------------------------


def process_dashboard(*, user, params, only: str | None = None) -> dict:
    """One process: cycle-time distribution before vs after the current standard, waiting vs working
    time per step (the bottleneck made visible), on-time rate per step, weekly volume; filtered by
    period and by the department that owns the runs (with its teams)."""
    f = filters(user, params, default_days=365)
    process = f.processes.filter(pk=f.process_id).first() if f.process_id else f.processes.first()
    result = {"filters": f, "processes": f.processes, "process": process, "charts": [], "summary": None}
    if process is None:
        result["query"] = f.query()
        return result
    f.process = str(process.pk)
    result["query"] = f.query()
    lo, hi = f.bounds
    current = process.versions.filter(status=VersionStatus.PUBLISHED).first()
    result["version"] = current
    # the process's versions by id: no join to the versions table on a million rows
    runs = access.scope_queryset(
        user, Run.objects.filter(version__in=list(process.versions.values_list("pk", flat=True)))
    )
    if f.department_ids is not None:
        runs = runs.filter(department__in=f.department_ids)
    finished = runs.filter(status=RunStatus.DONE, cycle_seconds__isnull=False, finished_at__gte=lo, finished_at__lt=hi)

    if is_wanted(only, "cycle-time"):
        # after: the current standard; before: the versions published before it (not a newer one on trial)
        if current:
            earlier = process.versions.filter(number__lt=current.number).values_list("pk", flat=True)
            finished = finished.filter(version__in=[*earlier, current.pk])
        by_version = cycle_quarters(finished, "version_id")
        after_q = by_version.pop(current.pk, {}) if current else {}
        before_q = merge_quarters(*by_version.values())
        (n_before, mean_before), (n_after, mean_after) = runs_and_mean(before_q), runs_and_mean(after_q)
        _n, mean = runs_and_mean(merge_quarters(before_q, after_q))
        size = bucket_width(mean, int_param(params.get("bucket")))
        before, after = bucket_counts(before_q, size), bucket_counts(after_q, size)
        labels, table = bucket_rows([before, after], size)
        traces = histogram_traces(
            labels,
            [_("Before (earlier versions)"), _("After (current version)")],
            [[row[2] for row in table], [row[3] for row in table]],
            [COLORS["before"], COLORS["after"]],
        )
        result["charts"].append(
            make_chart(
                traces,
                "cycle-time",
                _("Cycle time distribution before and after"),
                [_("Cycle time from (h)"), _("to (h)"), _("Runs before"), _("Runs after")],
                table,
                layout=histogram_layout(table),
            )
        )
        result["summary"] = {
            "n_before": n_before,
            "mean_before": to_hours(mean_before),
            "n_after": n_after,
            "mean_after": to_hours(mean_after),
            "change": change_percent(mean_before, mean_after),
            "version": current,
        }

    if (is_wanted(only, "step-time") or is_wanted(only, "step-on-time")) and current is not None:
        steps = {s.pk: s for s in current.steps.filter(automatic=False).order_by("position")}
        items = access.scope_queryset(
            user,
            WorkItem.objects.filter(
                WAITING_TIME.q(lo, hi), step_id__in=list(steps), kind=WorkKind.STEP, automatic=False
            ),
        )
        if f.department_ids is not None:
            items = items.filter(run__department__in=f.department_ids)
        rows = {}
        for row in items.values("step_id").annotate(
            n=Count("id"),
            **WAITING_TIME.measure.mean_terms(),
            **WORKING_TIME.measure.mean_terms(),
            **ON_TIME_RATE.terms(),
        ):
            row["waiting"], row["working"] = WAITING_TIME.measure.seconds(row), WORKING_TIME.measure.seconds(row)
            rows[row["step_id"]] = row
        empty = {"waiting": None, "working": None, "n": 0, "punctual": 0, "timed": 0}
        stats = [(step, rows.get(pk, empty)) for pk, step in steps.items()]
        names = [f"{step.position}. {step.name}" for step, _row in stats]
        nothing = not any(row["n"] for _step, row in stats)
        ticks = [tick_label(n) for n in names]
        if is_wanted(only, "step-time"):
            waiting = [to_hours(row["waiting"]) for _step, row in stats]
            working = [to_hours(row["working"]) for _step, row in stats]
            split = [
                bar_trace(ticks, waiting, COLORS["bad"], _("Waiting (h)")),
                bar_trace(ticks, working, COLORS["after"], _("Working (h)")),
            ]
            result["charts"].append(
                make_chart(
                    split,
                    "step-time",
                    _("Waiting and working time per step"),
                    [_("Step"), _("Waiting (h)"), _("Working (h)"), _("Steps finished")],
                    [[n, w, k, row["n"]] for n, w, k, (_s, row) in zip(names, waiting, working, stats, strict=True)],
                    layout={
                        "barmode": "stack",
                        "xaxis": {"type": "category"},
                        "yaxis": {"title": {"text": _("hours (mean)")}, "rangemode": "tozero"},
                    },
                    empty=nothing,
                )
            )
        if is_wanted(only, "step-on-time"):
            rates = [percent(row["punctual"], row["timed"]) for _step, row in stats]
            result["charts"].append(
                make_chart(
                    [bar_trace(ticks, rates, COLORS["ok"])],
                    "step-on-time",
                    _("On-time rate per step"),
                    [_("Step"), _("Time limit"), _("Steps with a limit"), _("On time"), _("On-time rate (%)")],
                    [
                        [n, time_limit_text(step.time_limit, step.time_unit), row["timed"], row["punctual"], rate]
                        for n, (step, row), rate in zip(names, stats, rates, strict=True)
                    ],
                    layout={"xaxis": {"type": "category"}, "yaxis": {"range": [0, 105], "ticksuffix": "%"}},
                    empty=nothing,
                )
            )

    if is_wanted(only, "volume"):
        by_week = _by_week(
            runs.filter(started_at__gte=lo, started_at__lt=hi),
            "started_at",
            lo,
            hi,
            n=Count("id"),
            done=Count("id", filter=Q(status=RunStatus.DONE)),
        )
        weeks = [week.isoformat() for week, _row in by_week]
        weekly = [row for _week, row in by_week]
        result["charts"].append(
            make_chart(
                [bar_trace(weeks, [row["n"] for row in weekly], COLORS["after"])],
                "volume",
                _("Runs started per week"),
                [_("Week"), _("Runs started"), _("Of which finished")],
                [[w, r["n"], r["done"]] for w, r in zip(weeks, weekly, strict=True)],
                layout={
                    "xaxis": {"type": "category"},
                    "yaxis": _count_axis([row["n"] for row in weekly], title={"text": _("runs")}),
                },
            )
        )
    return result


# The registry
# ------------------------------------------------------------------------------

# Every dashboard by its key: the pages and the chart exports (``/metrics/charts/<key>/...``) look them up here.
# An app above metrics adds its own from its ``AppConfig.ready()`` with ``dashboard_register`` (pilots adds
# "pilot", its arms against each other), so metrics imports no app above it.
DASHBOARDS: dict[str, Callable[..., dict]] = {"overview": overview, "process": process_dashboard}


def dashboard_register(key: str, function: Callable[..., dict]) -> None:
    """Add a dashboard: ``function(*, user, params, only=None)`` returns its ``charts`` (each with a ``key``)
    and ``query``; ``only`` builds just that chart."""
    if DASHBOARDS.get(key, function) is not function:
        raise ImproperlyConfigured(f"two dashboards are registered as {key!r}")
    DASHBOARDS[key] = function
