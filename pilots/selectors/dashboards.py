"""The pilot dashboard: a pilot against its control group, built with the chart helpers of
``metrics.selectors.dashboards`` and registered there (``PilotsConfig.ready``) as "pilot"."""

from __future__ import annotations

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext as _

from metrics.computations import ON_TIME_RATE
from metrics.selectors.dashboards import (
    COLORS,
    bar_trace,
    bucket_counts,
    bucket_rows,
    bucket_width,
    change_percent,
    cycle_quarters,
    histogram_layout,
    histogram_traces,
    int_param,
    is_wanted,
    make_chart,
    merge_quarters,
    percent,
    runs_and_mean,
    tick_label,
    to_hours,
)
from processes.choices import RunStatus, TimeUnit, VersionStatus, WorkStatus
from processes.documents.formatting import time_limit as time_limit_text
from processes.models import Run, WorkItem

from ..choices import Arm
from . import pilot as pilot_selectors


def _limit_hours(step) -> float | None:
    """A step's limit in hours when it is counted in hours (working days depend on the calendar)."""
    if step is None or step.time_limit is None or step.time_unit == TimeUnit.WORKING_DAYS:
        return None
    return float(step.time_limit)


def pilot_dashboard(*, user, params, only: str | None = None) -> dict:
    """A pilot against its control group: cycle-time distribution, mean time per step against the
    limit, on-time rate per step. The runs are those the pilot attributed to each group."""
    pilots = pilot_selectors.pilot_list(user=user).order_by("-starts_on", "-pk")
    chosen = int_param(params.get("pilot"))
    pilot = (pilots.filter(pk=chosen).first() if chosen else None) or pilots.first()
    result = {"pilots": pilots, "pilot": pilot, "charts": [], "query": {}, "summary": None}
    if pilot is None:
        return result
    result["query"] = {"pilot": pilot.pk}
    result["period"] = pilot_selectors.report_period(pilot)
    has_control = pilot.control_departments.exists()
    arms = [Arm.PILOT, Arm.CONTROL] if has_control else [Arm.PILOT]
    arm_names = {Arm.PILOT: _("Pilot"), Arm.CONTROL: _("Control")}
    colors = {Arm.PILOT: COLORS["pilot"], Arm.CONTROL: COLORS["control"]}
    finished = Run.objects.filter(pilot_link__pilot=pilot, status=RunStatus.DONE, cycle_seconds__isnull=False)
    result["has_control"] = has_control

    if is_wanted(only, "cycle-time"):
        started = pilot_selectors.pilot_report_runs(pilot)
        by_arm = cycle_quarters(finished, "pilot_link__arm")
        per_arm = {}
        for arm in arms:
            done, mean = runs_and_mean(by_arm.get(arm, {}))
            per_arm[arm] = {"n": started.get(arm, 0), "done": done, "mean": mean}
        _n, mean = runs_and_mean(merge_quarters(*by_arm.values()))
        size = bucket_width(mean, int_param(params.get("bucket")))
        counts = {arm: bucket_counts(quarters, size) for arm, quarters in by_arm.items()}
        labels, table = bucket_rows([counts.get(arm, {}) for arm in arms], size)
        traces = histogram_traces(
            labels,
            [arm_names[arm] for arm in arms],
            [[row[2 + i] for row in table] for i in range(len(arms))],
            [colors[arm] for arm in arms],
        )
        result["charts"].append(
            make_chart(
                traces,
                "cycle-time",
                _("Cycle time distribution: pilot and control"),
                [
                    _("Cycle time from (h)"),
                    _("to (h)"),
                    *[_("Runs: %(group)s") % {"group": arm_names[a]} for a in arms],
                ],
                table,
                layout=histogram_layout(table),
            )
        )
        empty = {"n": 0, "done": 0, "mean": None}
        pilot_row, control_row = per_arm.get(Arm.PILOT, empty), per_arm.get(Arm.CONTROL, empty)
        pilot_h, control_h = to_hours(pilot_row["mean"]), to_hours(control_row["mean"])
        result["summary"] = {
            "pilot": pilot_row,
            "control": control_row,
            "pilot_hours": pilot_h,
            "control_hours": control_h,
            "change": change_percent(control_row["mean"], pilot_row["mean"]),
        }

    if is_wanted(only, "step-time") or is_wanted(only, "step-on-time"):
        # The pilot tries its version; the control group keeps the process's current standard.
        trial = {s.position: s for s in pilot.version.steps.filter(automatic=False)}
        current = pilot.version.process.versions.filter(status=VersionStatus.PUBLISHED).first()
        kept = {s.position: s for s in current.steps.filter(automatic=False)} if current else {}
        rows = {
            (row["position"], row["run__pilot_link__arm"]): row
            for row in WorkItem.objects.filter(run__pilot_link__pilot=pilot, kind="step", automatic=False)
            .values("position", "run__pilot_link__arm")
            .annotate(
                finished=Count("id", filter=Q(status=WorkStatus.DONE)),
                mean=Avg("duration_seconds", filter=Q(status=WorkStatus.DONE)),
                **ON_TIME_RATE.terms(),  # timed, punctual
            )
            .order_by()
        }
        positions = sorted(set(trial) | {p for p, _arm in rows} | (set(kept) if has_control else set()))
        empty = {"finished": 0, "mean": None, "timed": 0, "punctual": 0}

        def step_name(position):
            step = trial.get(position) or kept.get(position)
            return f"{position}. {step.name}" if step else f"{position}."

        names = [step_name(p) for p in positions]
        nothing = not any(row["finished"] or row["timed"] for row in rows.values())
        ticks = [tick_label(n) for n in names]
        if is_wanted(only, "step-time"):
            traces = [
                bar_trace(
                    ticks, [to_hours(rows.get((p, arm), empty)["mean"]) for p in positions], colors[arm], arm_names[arm]
                )
                for arm in arms
            ]
            # the limit of each standard as a bar-wide mark; one mark where both standards agree
            trial_limits = [_limit_hours(trial.get(p)) for p in positions]
            kept_limits = [_limit_hours(kept.get(p)) for p in positions] if has_control else list(trial_limits)
            same = [t if t == k else None for t, k in zip(trial_limits, kept_limits, strict=True)]
            marks = [(_("Time limit"), same, COLORS["limit"])]
            if same != trial_limits or same != kept_limits:
                marks = [
                    (_("Limit (both standards)"), same, COLORS["limit"]),
                    (
                        _("Limit (pilot standard)"),
                        [t if t != k else None for t, k in zip(trial_limits, kept_limits, strict=True)],
                        COLORS["pilot"],
                    ),
                    (
                        _("Limit (current standard)"),
                        [k if t != k else None for t, k in zip(trial_limits, kept_limits, strict=True)],
                        COLORS["bad"],
                    ),
                ]
            for name, values, color in marks:
                if any(v is not None for v in values):
                    traces.append(
                        {
                            "type": "scatter",
                            "name": name,
                            "x": ticks,
                            "y": values,
                            "mode": "markers",
                            "marker": {"symbol": "line-ew", "size": 34, "line": {"width": 3, "color": color}},
                        }
                    )
            header = [_("Step"), _("Limit (pilot standard)")]
            if has_control:
                header.append(_("Limit (current standard)"))
            for arm in arms:
                header += [
                    _("Mean time (h): %(group)s") % {"group": arm_names[arm]},
                    _("Steps finished: %(group)s") % {"group": arm_names[arm]},
                ]
            table = []
            for name, p in zip(names, positions, strict=True):
                limits = [trial.get(p), kept.get(p)] if has_control else [trial.get(p)]
                line = [name, *[time_limit_text(s.time_limit, s.time_unit) if s else "—" for s in limits]]
                for arm in arms:
                    row = rows.get((p, arm), empty)
                    line += [to_hours(row["mean"]), row["finished"]]
                table.append(line)
            result["charts"].append(
                make_chart(
                    traces,
                    "step-time",
                    _("Mean time per step against the limit"),
                    header,
                    table,
                    layout={
                        "barmode": "group",
                        "xaxis": {"type": "category"},
                        "yaxis": {"title": {"text": _("hours (mean)")}, "rangemode": "tozero"},
                    },
                    empty=nothing,
                )
            )
        if is_wanted(only, "step-on-time"):
            traces = [
                bar_trace(
                    ticks,
                    [
                        percent(rows.get((p, arm), empty)["punctual"], rows.get((p, arm), empty)["timed"])
                        for p in positions
                    ],
                    colors[arm],
                    arm_names[arm],
                )
                for arm in arms
            ]
            header = [_("Step")]
            for arm in arms:
                header += [
                    _("Steps with a limit: %(group)s") % {"group": arm_names[arm]},
                    _("On time: %(group)s") % {"group": arm_names[arm]},
                    _("On-time rate (%%): %(group)s") % {"group": arm_names[arm]},
                ]
            table = []
            for name, p in zip(names, positions, strict=True):
                line = [name]
                for arm in arms:
                    row = rows.get((p, arm), empty)
                    line += [row["timed"], row["punctual"], percent(row["punctual"], row["timed"])]
                table.append(line)
            result["charts"].append(
                make_chart(
                    traces,
                    "step-on-time",
                    _("On-time rate per step"),
                    header,
                    table,
                    layout={
                        "barmode": "group",
                        "xaxis": {"type": "category"},
                        "yaxis": {"range": [0, 105], "ticksuffix": "%"},
                    },
                    empty=nothing,
                )
            )
    return result
