"""The business calendar every deadline in OpsFlow is computed on.

Which days are working days, first rule that applies:

1. a ``CalendarDay`` row decides its date (entered by an admin, or imported by ``importholidays``);
2. for the years the ``chinese_calendar`` package covers (2004-2026 in 1.11.0), a public holiday of
   China's official schedule is a day off and a make-up working day (调休上班) is a working day;
3. otherwise the working weekdays of the ``BusinessCalendar`` decide (Monday to Friday by default).

A year's official schedule is *known* when the package covers it or the calendar holds at least one
public holiday (day off) dated in that year. In any other year only the weekly days off count, and the
product warns loudly: each deadline computed there is logged as a warning (at most once an hour per
year and process), ``schedule_known(year)`` is false, ``unknown_years()`` lists the year, and
``calendar_warnings()`` lists the years actually used for deadlines, for the site's banner.

Working hours (default 09:00-12:00 and 13:00-18:00) are clock times in the calendar's time zone
(default settings.TIME_ZONE, Asia/Shanghai), whatever time zone a start is given in.

Caching, correct with several processes (web and Celery workers) and no message passing: each process
keeps one snapshot of the calendar (settings row, calendar days, and the working days of each year,
built on first use). A snapshot is stamped with the row count and highest id of the two history tables;
every save or delete of a calendar row adds a history row, so the stamp changes with every committed
change. A process re-reads the stamp (one small query) at most every ``STAMP_TTL_SECONDS`` and reloads
when it differs, so another process's change applies everywhere within that time. In the process that
makes a change, post_save/post_delete signals (connected at the bottom of this module) drop the
snapshot at once and again on commit. Change calendar rows through the admin, ``importholidays`` or
model ``save()``/``delete()``: ``QuerySet.update()`` and ``bulk_create()`` write no history and are
noticed only at the next history-writing change.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from ..choices import TimeUnit
from ..models import BusinessCalendar, CalendarDay

logger = logging.getLogger("processes.calendar")  # the name operators configure (unchanged by the move)

STAMP_TTL_SECONDS = 30.0
WARN_EVERY_SECONDS = 3600.0
# A calendar with no working day for ten years is broken; stop instead of looping for ever.
MAX_IDLE_DAYS = 3660

PACKAGE_HOLIDAYS: dict[dt.date, str] = dict(chinese_calendar.holidays)
PACKAGE_WORKDAYS: dict[dt.date, str] = dict(chinese_calendar.workdays)
PACKAGE_YEARS = range(min(PACKAGE_HOLIDAYS).year, max(PACKAGE_HOLIDAYS).year + 1)

_SHARED_KEY = "processes.calendar.unknown-year-used.{}"


def package_knows(year: int) -> bool:
    """Does the ``chinese_calendar`` package carry China's official schedule for ``year``?"""
    return year in PACKAGE_YEARS


# ------------------------------------------------------------------------------
# Snapshot and cache
# ------------------------------------------------------------------------------


@dataclass
class _Snapshot:
    stamp: tuple[int, ...]
    zone: ZoneInfo
    periods: tuple[tuple[dt.time, dt.time], ...]
    weekdays: frozenset[int]
    overrides: dict[dt.date, bool]
    listed_years: frozenset[int]  # years with at least one public holiday row
    years: dict[int, frozenset[dt.date]] = field(default_factory=dict)

    @property
    def day_length(self) -> dt.timedelta:
        return sum((_span(start, end) for start, end in self.periods), dt.timedelta())

    def known(self, year: int) -> bool:
        return package_knows(year) or year in self.listed_years

    def is_working(self, day: dt.date) -> bool:
        days = self.years.get(day.year)
        if days is None:
            days = self.years[day.year] = self._working_days(day.year)
        return day in days

    def _working_days(self, year: int) -> frozenset[dt.date]:
        package = package_knows(year)
        day, end, working = dt.date(year, 1, 1), dt.date(year, 12, 31), set()
        while day <= end:
            if day in self.overrides:
                works = self.overrides[day]
            elif package and day in PACKAGE_HOLIDAYS:
                works = False
            elif package and day in PACKAGE_WORKDAYS:
                works = True
            else:
                works = day.weekday() in self.weekdays
            if works:
                working.add(day)
            day += dt.timedelta(days=1)
        return frozenset(working)


_lock = threading.Lock()
_snapshot: _Snapshot | None = None
_checked_at = 0.0
_generation = 0
_used_unknown: set[int] = set()
_warned_at: dict[int, float] = {}


def _read_stamp() -> tuple[int, ...]:
    stamp: list[int] = []
    for model in (CalendarDay, BusinessCalendar):
        totals = model.history.model.objects.aggregate(rows=Count("pk"), last=Max("pk"))
        stamp += [totals["rows"], totals["last"] or 0]
    return tuple(stamp)


def _load(stamp: tuple[int, ...]) -> _Snapshot:
    settings_row = BusinessCalendar.objects.first() or BusinessCalendar()
    overrides: dict[dt.date, bool] = {}
    listed: set[int] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        overrides[day] = kind == CalendarDay.Kind.WORKING_DAY
        if kind == CalendarDay.Kind.DAY_OFF:
            listed.add(day.year)
    return _Snapshot(
        stamp=stamp,
        zone=ZoneInfo(settings_row.time_zone),
        periods=settings_row.periods,
        weekdays=settings_row.working_weekdays,
        overrides=overrides,
        listed_years=frozenset(listed),
    )


def _current() -> _Snapshot:
    global _snapshot, _checked_at
    snapshot = _snapshot
    if snapshot is not None and time.monotonic() - _checked_at < STAMP_TTL_SECONDS:
        return snapshot
    with _lock:
        if _snapshot is not None and time.monotonic() - _checked_at < STAMP_TTL_SECONDS:
            return _snapshot
        generation = _generation
        # The stamp before the rows: a change in between only causes one needless reload later.
        stamp = _read_stamp()
        if _snapshot is None or _snapshot.stamp != stamp:
            _snapshot = _load(stamp)
        # A reload() that came while we read may have missed our (older) rows: check again next time.
        _checked_at = time.monotonic() if generation == _generation else 0.0
        return _snapshot


def reload() -> None:
    """Forget this process's snapshot; the next call reads the calendar from the database."""
    global _snapshot, _checked_at, _generation
    _generation += 1
    _snapshot = None
    _checked_at = 0.0


def _note_unknown(years: Iterable[int], what: str) -> None:
    now = time.monotonic()
    for year in years:
        if year not in _used_unknown:
            _used_unknown.add(year)
            try:  # shared with the other processes when the cache is Redis
                cache.set(_SHARED_KEY.format(year), True, timeout=None)
            except Exception:  # a hint for the banner; a cache outage must not stop a deadline
                logger.exception("Could not record the unknown calendar year %s in the cache", year)
        if now - _warned_at.get(year, -WARN_EVERY_SECONDS) >= WARN_EVERY_SECONDS:
            _warned_at[year] = now
            logger.warning(
                "No official holiday schedule for %s: %s counted only the weekly days off. Enter that year's "
                "public holidays and make-up working days (admin: calendar days, or manage.py importholidays "
                "--from-file).",
                year,
                what,
            )


# ------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------


def time_zone() -> ZoneInfo:
    """The calendar's time zone (BusinessCalendar.time_zone, default settings.TIME_ZONE)."""
    return _current().zone


def schedule_known(year: int) -> bool:
    """Is ``year``'s official schedule known: covered by the package, or with a public holiday entered?"""
    return _current().known(year)


def unknown_years(start: dt.date | int | Iterable[int], end: dt.date | int | None = None) -> list[int]:
    """The years from ``start`` to ``end`` (both included; years, dates or datetimes) whose official
    schedule is unknown, in order. With one iterable argument, checks just those years."""
    snapshot = _current()
    if end is None:
        values = [start] if isinstance(start, int | dt.date) else list(start)
        years: Iterable[int] = {_year(value, snapshot.zone) for value in values}
    else:
        years = range(_year(start, snapshot.zone), _year(end, snapshot.zone) + 1)
    return sorted(year for year in years if not snapshot.known(year))


def calendar_warnings() -> list[int]:
    """Years that deadlines or working-day checks have used without a known official schedule, and
    which are still unknown: show a banner while this is not empty.

    Counts this process's use and, when the cache is shared (Redis), that of every web and Celery
    process for the years from last year to five years ahead."""
    snapshot = _current()
    years = set(_used_unknown)
    this_year = timezone.localdate(timezone=snapshot.zone).year
    candidates = {_SHARED_KEY.format(year): year for year in range(this_year - 1, this_year + 6)}
    try:
        years |= {candidates[key] for key in cache.get_many(list(candidates))}
    except Exception:
        logger.exception("Could not read the unknown calendar years from the cache")
    return sorted(year for year in years if not snapshot.known(year))


def is_working_day(day: dt.date) -> bool:
    """Is ``day`` a working day? (A datetime is taken as its date in the calendar's time zone.)

    Rules, first that applies: a CalendarDay row; the package's holidays and make-up working days
    for the years it covers; the working weekdays. A day in a year with an unknown schedule is
    logged and reported by ``calendar_warnings()``."""
    snapshot = _current()
    if isinstance(day, dt.datetime):
        day = day.astimezone(snapshot.zone).date()
    if not snapshot.known(day.year):
        _note_unknown([day.year], f"whether {day} is a working day")
    return snapshot.is_working(day)


def deadline(start: dt.datetime, amount: Decimal | int | float | None, unit: TimeUnit | str) -> dt.datetime | None:
    """When work begun at ``start`` with a time limit of ``amount`` ``unit`` is due.

    - No amount (``None``): no deadline, ``None``. A zero amount: due at ``start``.
    - ``hours``: elapsed wall-clock time, nights, weekends and holidays included.
    - ``working_hours``: only working time counts (working periods of working days, 09:00-12:00 and
      13:00-18:00 by default); the deadline is the moment the amount has been worked, so 1 working
      hour from 17:00 is 18:00 the same day, and from 11:30 is 13:30.
    - ``working_days``: the same clock time on the N-th following working day (Tuesday 10:00 plus 1
      is Wednesday 10:00). A start outside working hours (evening, night, lunch break, weekend,
      holiday) counts from the next working start, and is due when the N-th working day counted from
      there closes, which is the same as starting at the close of the previous working period:
      Friday 20:00 plus 1 is Monday 18:00 ("by the end of Monday"), not Tuesday 09:00 (the same
      working time, a night later); Tuesday 12:30 plus 1 is Wednesday 12:00. The ends of the working
      periods belong to working hours (Tuesday 18:00 plus 1 is Wednesday 18:00). Holidays are
      skipped and make-up working days count, as in a Chinese office: in 2025 (Oct 1-8 off, Sunday
      Sep 28 and Saturday Oct 11 worked) "3 working days" from Friday Sep 26 10:00 is Tuesday Sep 30
      10:00, from that Friday evening it is Tuesday Sep 30 18:00 (before the holiday, not the morning
      after it), and from Tuesday Sep 30 10:00 it is Saturday Oct 11 10:00. A fraction adds that
      share of a working day's hours as working time (0.5 = 4 working hours by default).

    ``start`` must be timezone-aware; working units are counted, and returned, in the calendar's time
    zone. A deadline counted in a year whose official schedule is unknown is logged as a warning and
    reported by ``calendar_warnings()``. Raises ValueError for a negative amount or unknown unit."""
    if amount is None:
        return None
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("deadline() needs a timezone-aware start")
    amount = _decimal(amount)
    unit = TimeUnit(unit)
    if unit == TimeUnit.HOURS:
        return (start.astimezone(dt.UTC) + _scale(dt.timedelta(hours=1), amount)).astimezone(start.tzinfo)
    snapshot = _current()
    local = start.astimezone(snapshot.zone)
    if amount == 0:
        return local
    if unit == TimeUnit.WORKING_HOURS:
        begin, result = local, _add_working_time(snapshot, local, _scale(dt.timedelta(hours=1), amount))
    else:
        begin, result = _add_working_days(snapshot, local, amount)
    unknown = [year for year in range(begin.year, result.year + 1) if not snapshot.known(year)]
    if unknown:
        _note_unknown(unknown, f"the deadline of {amount} {unit.value} from {local:%Y-%m-%d %H:%M} ({result:%Y-%m-%d})")
    return result


# ------------------------------------------------------------------------------
# Counting
# ------------------------------------------------------------------------------


def _year(value: dt.date | int, zone: ZoneInfo) -> int:
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).year if value.tzinfo else value.year
    if isinstance(value, dt.date):
        return value.year
    return int(value)


def _decimal(amount: Decimal | int | float) -> Decimal:
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    if not value.is_finite() or value < 0:
        raise ValueError(f"a time limit must be a number of zero or more, not {amount!r}")
    return value


def _scale(duration: dt.timedelta, factor: Decimal) -> dt.timedelta:
    microseconds = (Decimal(duration // dt.timedelta(microseconds=1)) * factor).to_integral_value(ROUND_HALF_UP)
    return dt.timedelta(microseconds=int(microseconds))


def _span(start: dt.time, end: dt.time) -> dt.timedelta:
    return dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)


def _add_working_time(snapshot: _Snapshot, moment: dt.datetime, remaining: dt.timedelta) -> dt.datetime:
    """The moment ``remaining`` working time after ``moment``, ending at a period's end when it fits."""
    day, clock, idle = moment.date(), moment.time(), 0
    while True:
        if snapshot.is_working(day):
            idle = 0
            for start, end in snapshot.periods:
                if clock >= end:
                    continue
                begin = max(clock, start)
                available = _span(begin, end)
                if remaining <= available:
                    return (dt.datetime.combine(day, begin) + remaining).replace(tzinfo=snapshot.zone)
                remaining -= available
        else:
            idle += 1
            if idle > MAX_IDLE_DAYS:
                raise ValueError("the business calendar has no working day for ten years")
        day, clock = day + dt.timedelta(days=1), dt.time.min


def _in_working_time(snapshot: _Snapshot, moment: dt.datetime) -> bool:
    """Within a working period of a working day, both ends included."""
    clock = moment.time()
    return snapshot.is_working(moment.date()) and any(start <= clock <= end for start, end in snapshot.periods)


def _previous_working_end(snapshot: _Snapshot, moment: dt.datetime) -> dt.datetime:
    """The last end of a working period at or before ``moment``."""
    day, clock = moment.date(), moment.time()
    for _ in range(MAX_IDLE_DAYS):
        if snapshot.is_working(day):
            for _start, end in reversed(snapshot.periods):
                if end <= clock:
                    return dt.datetime.combine(day, end, tzinfo=snapshot.zone)
        day, clock = day - dt.timedelta(days=1), dt.time.max
    raise ValueError("the business calendar has no working day for ten years")


def _add_working_days(snapshot: _Snapshot, moment: dt.datetime, amount: Decimal) -> tuple[dt.datetime, dt.datetime]:
    """(where the count begins, the deadline) for ``amount`` working days from ``moment``."""
    anchor = moment if _in_working_time(snapshot, moment) else _previous_working_end(snapshot, moment)
    whole = int(amount)
    day, counted, idle = anchor.date(), 0, 0
    while counted < whole:
        day += dt.timedelta(days=1)
        if snapshot.is_working(day):
            counted, idle = counted + 1, 0
        else:
            idle += 1
            if idle > MAX_IDLE_DAYS:
                raise ValueError("the business calendar has no working day for ten years")
    result = dt.datetime.combine(day, anchor.time(), tzinfo=snapshot.zone)
    fraction = amount - whole
    if fraction:
        result = _add_working_time(snapshot, result, _scale(snapshot.day_length, fraction))
    return anchor, result


# ------------------------------------------------------------------------------
# Invalidation in this process (other processes notice the history stamp)
# ------------------------------------------------------------------------------


def _calendar_changed(sender, using: str = "default", **kwargs) -> None:
    reload()
    # Another thread may read the old rows before this transaction commits: drop its snapshot again then.
    transaction.on_commit(reload, using=using)


for _model in ("processes.CalendarDay", "processes.BusinessCalendar"):
    post_save.connect(_calendar_changed, sender=_model, dispatch_uid=f"processes.calendar.reload.{_model}")
    post_delete.connect(_calendar_changed, sender=_model, dispatch_uid=f"processes.calendar.reload.{_model}")
