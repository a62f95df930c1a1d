"""Process mapping logic: reading as-is flows written the way people write them, discovering an as-is
map from an event log, and proposing bottleneck rows from the data."""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

ARROWS = re.compile(r"\s*(?:->|→|=>|＞|>)\s*")
TIME = re.compile(r"(\d+(?:\.\d+)?)\s*(h|hr|hrs|hours?|小时|min|minutes?|分钟|d|days?|天)\b", re.IGNORECASE)
NO_LIMIT = re.compile(r"no time limit|无时限|不限时", re.IGNORECASE)


def parse_flow(text: str) -> list[dict]:
    """ "customer orders -> manual review (avg 4 h) -> stock confirmation (2 h)" as steps with hours.

    Minutes and days are turned into hours (a day counts 24 h); "(no time limit)" marks a hand-off
    without a limit.
    """
    steps = []
    for part in ARROWS.split(text.strip()):
        if not part:
            continue
        hours = None
        match = TIME.search(part)
        if match:
            value, unit = Decimal(match.group(1)), match.group(2).lower()
            if unit.startswith(("min", "分")):
                hours = (value / 60).quantize(Decimal("0.01"))
            elif unit.startswith(("d", "天")):
                hours = value * 24
            else:
                hours = value
        name = re.sub(r"\s*[(（][^)）]*[)）]\s*", " ", part).strip()
        steps.append({"name_en": name[:200], "hours": hours, "time_limit_known": not NO_LIMIT.search(part)})
    return steps


def flow_text(steps) -> str:
    parts = []
    for step in steps:
        if step.hours is not None:
            parts.append(f"{step.name} ({step.hours.normalize():f} h)")
        elif not step.time_limit_known:
            parts.append(f"{step.name} ({_('no time limit')})")
        else:
            parts.append(step.name)
    return " → ".join(parts)


# Event logs
# ------------------------------------------------------------------------------


@dataclass
class ActivityStats:
    name: str
    count: int = 0
    durations: list[float] = field(default_factory=list)  # hours
    waits: list[float] = field(default_factory=list)  # hours from the previous activity's end
    ranks: list[int] = field(default_factory=list)
    roles: Counter = field(default_factory=Counter)

    @property
    def mean(self):
        return statistics.fmean(self.durations) if self.durations else None

    @property
    def median(self):
        return statistics.median(self.durations) if self.durations else None

    @property
    def p90(self):
        if len(self.durations) < 2:
            return self.durations[0] if self.durations else None
        return statistics.quantiles(self.durations, n=10, method="inclusive")[8]

    @property
    def mean_wait(self):
        return statistics.fmean(self.waits) if self.waits else None

    @property
    def role(self):
        return self.roles.most_common(1)[0][0] if self.roles else ""


@dataclass
class Discovery:
    cases: int
    events: int
    activities: list[ActivityStats]
    transitions: list[tuple[str, str, int]]
    errors: list[str]


REQUIRED = ("case", "activity", "start", "end")
ALIASES = {
    "case": ("case", "case_id", "case id", "caseid", "案例", "案例编号"),
    "activity": ("activity", "step", "活动", "步骤"),
    "start": ("start", "start_time", "started", "开始", "开始时间"),
    "end": ("end", "end_time", "finished", "结束", "结束时间"),
    "resource": ("resource", "role", "user", "资源", "角色"),
}


def _columns(header):
    names = [h.strip().lower() for h in header]
    found = {}
    for key, aliases in ALIASES.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[key] = index
                break
    return found


def _when(text) -> datetime | None:
    value = parse_datetime(text.strip()) if text else None
    if value is None or value.tzinfo is None:
        from django.utils import timezone

        if value is not None:
            value = timezone.make_aware(value)
    return value


def discover(stream, *, start="START", end="END") -> Discovery:
    """Per-activity counts, durations (mean, median, 90th percentile), waiting time before each
    activity and the transitions between activities (with START and END), from a CSV event log."""
    try:
        return _discover(stream, start=start, end=end)
    except (UnicodeDecodeError, csv.Error) as exc:  # a binary file named .csv, a NUL byte, a huge field
        return Discovery(0, 0, [], [], [_("This is not a CSV text file in UTF-8 (%(error)s).") % {"error": exc}])


MAX_ERRORS = 100  # lines reported; a file with more bad lines is surely the wrong file


def _discover(stream, *, start, end) -> Discovery:
    stream = getattr(stream, "file", stream)  # an upload spooled to disk is wrapped once more
    if not isinstance(stream, io.TextIOBase):
        stream = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return Discovery(0, 0, [], [], [_("The file is empty.")])
    columns = _columns(header)
    missing = [key for key in REQUIRED if key not in columns]
    if missing:
        return Discovery(0, 0, [], [], [_("Missing columns: %(names)s.") % {"names": ", ".join(missing)}])
    cases: dict[str, list[tuple[datetime, datetime, str, str]]] = defaultdict(list)
    errors, events = [], 0
    for number, row in enumerate(reader, start=2):
        if len(errors) >= MAX_ERRORS:
            errors.append(_("More lines are wrong; fix the ones above first."))
            break
        if not any(cell.strip() for cell in row):
            continue
        try:
            case, activity = row[columns["case"]].strip(), row[columns["activity"]].strip()
            began, ended = _when(row[columns["start"]]), _when(row[columns["end"]])
            resource = (
                row[columns["resource"]].strip() if "resource" in columns and columns["resource"] < len(row) else ""
            )
        except IndexError:
            errors.append(_("Line %(n)s: too few columns.") % {"n": number})
            continue
        if not case or not activity:
            errors.append(_("Line %(n)s: the case and the activity are required.") % {"n": number})
        elif began is None or ended is None:
            errors.append(_("Line %(n)s: start and end must be date-times (YYYY-MM-DD HH:MM).") % {"n": number})
        elif ended < began:
            errors.append(_("Line %(n)s: the activity ends before it starts.") % {"n": number})
        else:
            cases[case].append((began, ended, activity, resource))
            events += 1
    return _summarise(cases, events, errors, start=start, end=end)


def discover_runs(*, process, start="START", end="END") -> Discovery:
    """The same map from the steps recorded for a process's runs: those done in OpsFlow and those
    reported by other systems (``POST /api/v1/work/events/``); the resource is the actor they named,
    else the step's role."""
    from .models import WorkItem

    rows = WorkItem.objects.filter(
        run__version__process=process, kind="step", status="done", started_at__isnull=False, finished_at__isnull=False
    ).values_list("run_id", "started_at", "finished_at", "title_en", "actor", "role")
    cases: dict[str, list[tuple[datetime, datetime, str, str]]] = defaultdict(list)
    events = 0
    for run_id, began, ended, activity, actor, role in rows.iterator():
        cases[str(run_id)].append((began, ended, activity, actor or role))
        events += 1
    return _summarise(cases, events, [], start=start, end=end)


def _summarise(cases, events, errors, *, start, end) -> Discovery:
    stats: dict[str, ActivityStats] = {}
    transitions: Counter = Counter()
    for case_events in cases.values():
        case_events.sort()
        previous_name, previous_end = start, None
        for rank, (began, ended, activity, resource) in enumerate(case_events):
            entry = stats.setdefault(activity, ActivityStats(activity))
            entry.count += 1
            entry.durations.append((ended - began).total_seconds() / 3600)
            entry.ranks.append(rank)
            if resource:
                entry.roles[resource] += 1
            if previous_end is not None:
                entry.waits.append(max(0.0, (began - previous_end).total_seconds() / 3600))
            transitions[(previous_name, activity)] += 1
            previous_name, previous_end = activity, ended
        transitions[(previous_name, end)] += 1
    ordered = sorted(stats.values(), key=lambda s: (statistics.fmean(s.ranks), -s.count, s.name))
    flows = sorted(((a, b, n) for (a, b), n in transitions.items()), key=lambda t: (-t[2], t[0], t[1]))
    return Discovery(len(cases), events, ordered, flows, errors)
