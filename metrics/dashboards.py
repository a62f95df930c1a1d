"""Plotly figures for the dashboards. Every figure comes with the numbers behind it as a table.

Figures are built on the server as JSON; ``static/js/charts.js`` draws them with the plotly.js that
the plotly package ships (served from our static files). All aggregation happens in SQL.
"""

from __future__ import annotations

from datetime import timedelta

import plotly.graph_objects as go
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import access
from processes.models import Department, Escalation, Process, WorkItem
from processes.models.execution import OPEN_STATUSES

COLORS = {"before": "#9aa7b8", "after": "#1f5fa8", "bad": "#b3261e", "ok": "#1b6e3a"}
LAYOUT = dict(
    margin=dict(l=50, r=20, t=80, b=60),
    height=340,
    font=dict(family="Segoe UI, Roboto, PingFang SC, Microsoft YaHei, WenQuanYi Micro Hei, sans-serif", size=13),
    legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    paper_bgcolor="rgba(0,0,0,0)",
    plot_bgcolor="#ffffff",
)


def _chart(figure: go.Figure, title: str, header: list, rows: list) -> dict:
    figure.update_layout(title=dict(text=title, x=0, y=0.97, yanchor="top"), **LAYOUT)
    return {"title": title, "json": figure.to_json(), "header": header, "rows": rows}


def effect_chart(rows) -> dict:
    """Before and after per indicator of an effect evaluation (values in each indicator's unit)."""
    labels = [f"{r['indicator'].name} ({r['indicator'].unit})" for r in rows]
    before = [float(r["before"]) if r["before"] is not None else None for r in rows]
    after = [float(r["after"]) if r["after"] is not None else None for r in rows]
    figure = go.Figure(
        [
            go.Bar(name=_("Before"), x=labels, y=before, marker_color=COLORS["before"]),
            go.Bar(name=_("After"), x=labels, y=after, marker_color=COLORS["after"]),
        ]
    )
    figure.update_layout(barmode="group")
    figure.update_xaxes(automargin=True)
    table = [[label, b, a, r["change_text"]] for label, b, a, r in zip(labels, before, after, rows, strict=True)]
    return _chart(figure, _("Before and after"), [_("Indicator"), _("Before"), _("After"), _("Change")], table)


def _filters(user, params):
    days = params.get("days", "84")
    days = int(days) if days.isdigit() and 7 <= int(days) <= 730 else 84
    departments = access.scope_queryset(user, Department.objects.all(), field="pk")
    processes = access.scope_queryset(user, Process.objects.all())
    department = params.get("department", "")
    process = params.get("process", "")
    items = access.scope_queryset(user, WorkItem.objects.filter(kind="step", automatic=False))
    if department.isdigit():
        items = items.filter(department_id=int(department))
    if process.isdigit():
        items = items.filter(run__version__process_id=int(process))
    return {
        "days": days,
        "department": department,
        "process": process,
        "departments": departments,
        "processes": processes,
        "items": items,
    }


def overview(*, user, params) -> dict:
    """Manager overview: on-time trend, escalations by department and role, backlog and overdue work."""
    f = _filters(user, params)
    now = timezone.now()
    since = now - timedelta(days=f["days"])
    items = f["items"]

    weekly = (
        items.filter(finished_at__gte=since, on_time__isnull=False)
        .annotate(week=TruncWeek("finished_at"))
        .values("week")
        .annotate(n=Count("id"), punctual=Count("id", filter=Q(on_time=True)))
        .order_by("week")
    )
    weeks = [row["week"].date().isoformat() for row in weekly]
    rates = [round(100 * row["punctual"] / row["n"], 1) for row in weekly]
    trend = go.Figure(go.Scatter(x=weeks, y=rates, mode="lines+markers", name=_("On-time rate (%)")))
    trend.update_yaxes(range=[0, 105], ticksuffix="%")
    trend.update_xaxes(type="category")
    trend_chart = _chart(
        trend,
        _("On-time rate of steps per week"),
        [_("Week"), _("Steps finished"), _("On time"), _("On-time rate (%)")],
        [[w, r["n"], r["punctual"], rate] for w, r, rate in zip(weeks, weekly, rates, strict=True)],
    )

    escalations = access.scope_queryset(
        user, Escalation.objects.filter(created_at__gte=since), field="work_item__department"
    )
    if f["department"].isdigit():
        escalations = escalations.filter(work_item__department_id=int(f["department"]))
    if f["process"].isdigit():
        escalations = escalations.filter(work_item__run__version__process_id=int(f["process"]))
    by_dept = list(
        escalations.values("work_item__department__name_en", "work_item__department__name_zh", "work_item__role")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    from processes.models.base import is_chinese

    def dept_name(row, prefix):
        return (row[f"{prefix}name_zh"] if is_chinese() and row[f"{prefix}name_zh"] else row[f"{prefix}name_en"]) or "—"

    from processes.choices import Role

    labels = [f"{dept_name(r, 'work_item__department__')} · {Role(r['work_item__role']).label}" for r in by_dept]
    esc_figure = go.Figure(go.Bar(x=[r["n"] for r in by_dept], y=labels, orientation="h", marker_color=COLORS["bad"]))
    esc_figure.update_yaxes(autorange="reversed")
    esc_chart = _chart(
        esc_figure,
        _("Escalations by department and role"),
        [_("Department and role"), _("Escalations")],
        [[label, r["n"]] for label, r in zip(labels, by_dept, strict=True)],
    )

    backlog = list(
        items.filter(status__in=OPEN_STATUSES)
        .values("department__name_en", "department__name_zh")
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
        .order_by("-n")
    )
    names = [dept_name(r, "department__") for r in backlog]
    backlog_figure = go.Figure(
        [
            go.Bar(
                name=_("In time"), x=names, y=[r["n"] - r["overdue"] for r in backlog], marker_color=COLORS["after"]
            ),
            go.Bar(name=_("Overdue"), x=names, y=[r["overdue"] for r in backlog], marker_color=COLORS["bad"]),
        ]
    )
    backlog_figure.update_layout(barmode="stack")
    backlog_chart = _chart(
        backlog_figure,
        _("Open backlog and overdue work by department"),
        [_("Department"), _("Open"), _("Overdue")],
        [[name, r["n"], r["overdue"]] for name, r in zip(names, backlog, strict=True)],
    )
    totals = items.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        finished=Count("id", filter=Q(finished_at__gte=since)),
        punctual=Count("id", filter=Q(finished_at__gte=since, on_time=True)),
    )
    return {
        "filters": f,
        "totals": totals,
        "charts": [trend_chart, esc_chart, backlog_chart],
    }


def process_dashboard(*, user, params) -> dict:
    """One process: cycle-time distribution before vs after the current standard, waiting vs working
    time per step (the bottleneck made visible), on-time rate per step, weekly volume."""
    from django.db.models import Avg, F, IntegerField
    from django.db.models.functions import Cast, TruncWeek

    from processes.models import Run

    processes = access.scope_queryset(user, Process.objects.all()).order_by("code")
    chosen = params.get("process", "")
    process = (processes.filter(pk=int(chosen)).first() if chosen.isdigit() else None) or processes.first()
    result = {"processes": processes, "process": process, "charts": []}
    if process is None:
        return result
    current = process.versions.filter(status="published").first()
    runs = access.scope_queryset(
        user, Run.objects.filter(version__process=process, status="done", cycle_seconds__isnull=False)
    )
    bucket_hours = int(params.get("bucket", "1")) if params.get("bucket", "1").isdigit() else 1
    bucket_hours = min(max(bucket_hours, 1), 168)
    size = bucket_hours * 3600

    def histogram(qs):
        rows = (
            qs.annotate(bucket=Cast(F("cycle_seconds") / size, IntegerField()))
            .values("bucket")
            .annotate(n=Count("id"))
            .order_by("bucket")
        )
        return {row["bucket"] * bucket_hours: row["n"] for row in rows}

    after = histogram(runs.filter(version=current)) if current else {}
    before = histogram(runs.exclude(version=current)) if current else histogram(runs)
    hours = sorted(set(after) | set(before))
    figure = go.Figure(
        [
            go.Bar(
                name=_("Before (earlier versions)"),
                x=hours,
                y=[before.get(h, 0) for h in hours],
                marker_color=COLORS["before"],
            ),
            go.Bar(
                name=_("After (current version)"),
                x=hours,
                y=[after.get(h, 0) for h in hours],
                marker_color=COLORS["after"],
            ),
        ]
    )
    figure.update_layout(barmode="group")
    figure.update_xaxes(title=_("cycle time (h, bucket start)"))
    figure.update_yaxes(title=_("runs"))
    result["charts"].append(
        _chart(
            figure,
            _("Cycle time distribution before and after"),
            [_("Cycle time from (h)"), _("Runs before"), _("Runs after")],
            [[h, before.get(h, 0), after.get(h, 0)] for h in hours],
        )
    )

    steps = (
        access.scope_queryset(
            user, WorkItem.objects.filter(run__version=current, kind="step", automatic=False, status="done")
        )
        .values("position", "title_en", "title_zh")
        .annotate(
            waiting=Avg("waiting_seconds"),
            working=Avg("working_seconds"),
            n=Count("id"),
            punctual=Count("id", filter=Q(on_time=True)),
            timed=Count("id", filter=Q(on_time__isnull=False)),
        )
        .order_by("position")
        if current
        else []
    )
    from processes.models.base import is_chinese

    steps = list(steps)
    names = [f"{s['position']}. {(s['title_zh'] if is_chinese() and s['title_zh'] else s['title_en'])}" for s in steps]
    waiting = [round((s["waiting"] or 0) / 3600, 2) for s in steps]
    working = [round((s["working"] or 0) / 3600, 2) for s in steps]
    split = go.Figure(
        [
            go.Bar(name=_("Waiting (h)"), x=names, y=waiting, marker_color=COLORS["bad"]),
            go.Bar(name=_("Working (h)"), x=names, y=working, marker_color=COLORS["after"]),
        ]
    )
    split.update_layout(barmode="stack")
    result["charts"].append(
        _chart(
            split,
            _("Waiting and working time per step"),
            [_("Step"), _("Waiting (h)"), _("Working (h)"), _("Steps finished")],
            [[n, w, k, s["n"]] for n, w, k, s in zip(names, waiting, working, steps, strict=True)],
        )
    )
    rates = [round(100 * s["punctual"] / s["timed"], 1) if s["timed"] else None for s in steps]
    on_time = go.Figure(go.Bar(x=names, y=rates, marker_color=COLORS["ok"]))
    on_time.update_yaxes(range=[0, 105], ticksuffix="%")
    result["charts"].append(
        _chart(
            on_time,
            _("On-time rate per step"),
            [_("Step"), _("On-time rate (%)"), _("Steps with a limit")],
            [[n, r, s["timed"]] for n, r, s in zip(names, rates, steps, strict=True)],
        )
    )
    weekly = (
        access.scope_queryset(user, Run.objects.filter(version__process=process))
        .annotate(week=TruncWeek("started_at"))
        .values("week")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    weeks = [row["week"].date().isoformat() for row in weekly]
    volume = go.Figure(go.Bar(x=weeks, y=[row["n"] for row in weekly], marker_color=COLORS["after"]))
    volume.update_xaxes(type="category")
    result["charts"].append(
        _chart(
            volume,
            _("Runs started per week"),
            [_("Week"), _("Runs")],
            [[w, r["n"]] for w, r in zip(weeks, weekly, strict=True)],
        )
    )
    return result
