"""Process mapping logic: reading as-is flows written the way people write them, discovering an as-is
map from an event log, and proposing bottleneck rows from the data."""

from __future__ import annotations

import csv
import io
import math
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from ..choices import WorkKind, WorkStatus
from ..models import WorkItem

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
    """One activity's figures; durations and waits in hours."""

    name: str
    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None
    mean_wait: float | None = None
    role: str = ""
    mean_rank: float = 0.0


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
    if value is not None and value.tzinfo is None:
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
    errors = []
    with _EventStore() as store:
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
                store.add(case, began, ended, activity, resource)
        return _summarise(store, errors, start=start, end=end)


def discover_runs(*, process, start="START", end="END") -> Discovery:
    """The same map from the steps recorded for a process's runs: those done in OpsFlow and those
    reported by other systems (``POST /api/v1/work/events/``); the resource is the actor they named,
    else the step's role."""
    rows = WorkItem.objects.filter(
        run__version__process=process,
        kind=WorkKind.STEP,
        status=WorkStatus.DONE,
        started_at__isnull=False,
        finished_at__isnull=False,
    ).values_list("run_id", "started_at", "finished_at", "title_en", "actor", "role")
    with _EventStore() as store:
        for run_id, began, ended, activity, actor, role in rows.iterator(chunk_size=5_000):
            store.add(str(run_id), began, ended, activity, actor or role)
        return _summarise(store, [], start=start, end=end)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(value: datetime) -> int:
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class _EventStore:
    """The events of a log, kept in a private temporary SQLite database on disk (SQLite deletes it
    when the connection closes) instead of in Python lists, so that a log of millions of lines is
    read in constant memory: SQLite holds at most ``CACHE_KB`` of pages and sorts on disk. Times are
    kept as integer microseconds since 1970 (UTC), which sort and subtract exactly as the datetimes."""

    CACHE_KB = 8_192
    BATCH = 5_000

    def __init__(self):
        self.db = sqlite3.connect("")  # "": a temporary database in a file, removed on close
        for pragma in (
            f"cache_size = -{self.CACHE_KB}",
            "temp_store = FILE",
            "journal_mode = OFF",
            "synchronous = OFF",
        ):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute(
            "CREATE TABLE event (seq INTEGER PRIMARY KEY, case_id TEXT NOT NULL, began INTEGER NOT NULL, "
            "ended INTEGER NOT NULL, activity TEXT NOT NULL, resource TEXT NOT NULL, hours REAL NOT NULL)"
        )
        self.db.execute("CREATE TABLE wait (activity TEXT NOT NULL, hours REAL NOT NULL)")
        self.rows: list[tuple] = []
        self.events = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.db.close()

    def add(self, case: str, began: datetime, ended: datetime, activity: str, resource: str) -> None:
        b, e = _microseconds(began), _microseconds(ended)
        # (e - b) / 10**6 is timedelta.total_seconds() to the last bit: one correctly rounded division
        self.rows.append((case, b, e, activity, resource, (e - b) / 1_000_000 / 3600))
        self.events += 1
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.db.executemany(
                "INSERT INTO event (case_id, began, ended, activity, resource, hours) VALUES (?, ?, ?, ?, ?, ?)",
                self.rows,
            )
            self.rows = []

    def by_case(self):
        """(case number, began, ended, activity, resource) grouped by case, cases in the order they
        first appear, each case's events in time order (then end, activity, resource)."""
        self.flush()
        self.db.execute("CREATE INDEX event_case ON event (case_id, seq)")
        self.db.execute("CREATE TABLE firsts AS SELECT case_id, MIN(seq) AS first FROM event GROUP BY case_id")
        self.db.execute("CREATE UNIQUE INDEX firsts_case ON firsts (case_id)")
        return self.db.execute(
            "SELECT f.first, e.began, e.ended, e.activity, e.resource FROM event AS e "
            "JOIN firsts AS f ON f.case_id = e.case_id ORDER BY f.first, e.began, e.ended, e.activity, e.resource"
        )

    def add_waits(self, waits: list[tuple[str, float]]) -> None:
        self.db.executemany("INSERT INTO wait (activity, hours) VALUES (?, ?)", waits)

    def figures(self, activity: str, n: int) -> tuple[float | None, float | None, float | None, float | None]:
        """Mean, median, 90th percentile (``statistics.quantiles`` inclusive) of the activity's ``n``
        durations and mean of its waits, exactly as the statistics module gives them over lists."""

        def column(sql):
            return (row[0] for row in self.db.execute(sql, [activity]))

        def nth(index):
            sql = "SELECT hours FROM event WHERE activity = ? ORDER BY hours LIMIT 1 OFFSET ?"
            return self.db.execute(sql, [activity, index]).fetchone()[0]

        waits = self.db.execute("SELECT count(*) FROM wait WHERE activity = ?", [activity]).fetchone()[0]
        mean_wait = math.fsum(column("SELECT hours FROM wait WHERE activity = ?")) / waits if waits else None
        if not n:
            return None, None, None, mean_wait
        mean = math.fsum(column("SELECT hours FROM event WHERE activity = ?")) / n
        median = nth(n // 2) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2
        if n < 2:
            return mean, median, nth(0), mean_wait
        m = n - 1  # statistics.quantiles(data, n=10, method="inclusive")[8]
        j, delta = (9 * m) // 10, (9 * m) % 10
        p90 = (nth(j) * (10 - delta) + nth(j + 1) * delta) / 10
        return mean, median, p90, mean_wait

    def index(self) -> None:
        self.db.execute("CREATE INDEX event_activity ON event (activity, hours)")
        self.db.execute("CREATE INDEX wait_activity ON wait (activity)")


def _summarise(store: _EventStore, errors, *, start, end) -> Discovery:
    """Per-activity figures and transitions from one ordered pass over the stored events; what is
    kept in memory grows with the number of activities and resources, not with the events."""
    counts: Counter = Counter()
    rank_sums: Counter = Counter()
    roles: dict[str, Counter] = {}
    transitions: Counter = Counter()
    waits: list[tuple[str, float]] = []
    cases = 0
    previous_case, previous_name, previous_end, rank = None, start, None, 0
    for case, began, ended, activity, resource in store.by_case():
        if case != previous_case:
            if previous_case is not None:
                transitions[(previous_name, end)] += 1
            cases += 1
            previous_case, previous_name, previous_end, rank = case, start, None, 0
        counts[activity] += 1
        rank_sums[activity] += rank
        if resource:
            roles.setdefault(activity, Counter())[resource] += 1
        if previous_end is not None:
            waits.append((activity, max(0.0, (began - previous_end) / 1_000_000 / 3600)))
            if len(waits) >= store.BATCH:
                store.add_waits(waits)
                waits = []
        transitions[(previous_name, activity)] += 1
        previous_name, previous_end, rank = activity, ended, rank + 1
    if previous_case is not None:
        transitions[(previous_name, end)] += 1
    store.add_waits(waits)
    store.index()
    stats = []
    for activity, count in counts.items():
        mean, median, p90, mean_wait = store.figures(activity, count)
        role = roles[activity].most_common(1)[0][0] if activity in roles else ""
        stats.append(ActivityStats(activity, count, mean, median, p90, mean_wait, role, rank_sums[activity] / count))
    ordered = sorted(stats, key=lambda s: (s.mean_rank, -s.count, s.name))
    flows = sorted(((a, b, n) for (a, b), n in transitions.items()), key=lambda t: (-t[2], t[0], t[1]))
    return Discovery(cases, store.events, ordered, flows, errors)
