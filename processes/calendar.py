"""The business calendar every deadline is computed on.

A day is a working day when an admin says so (``CalendarDay``), else when the maintained
``chinese_calendar`` package says so for the years it knows (China's official holidays and make-up
working days, up to 2026), else when it is Monday to Friday. Computing a deadline in a year with no
known official schedule is logged as a warning and shown to everyone as a banner until an admin
enters that year's holidays (``unknown_years()``).

Working hours: 09:00-12:00 and 13:00-18:00, in settings.TIME_ZONE (Asia/Shanghai by default).

Admin-entered days are read from the database at most once a minute per process (web and Celery
workers alike), so a change takes effect everywhere within a minute without any message passing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

logger = logging.getLogger(__name__)

WORK_PERIODS = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
WORKING_DAY_SECONDS = sum((end.hour - start.hour) * 3600 for start, end in WORK_PERIODS)
RELOAD_SECONDS = 60

_lock = threading.Lock()
_overrides: dict[dt.date, bool] = {}
_override_years: set[int] = set()
_loaded_at = 0.0
_warned: set[int] = set()


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _load_overrides() -> None:
    global _overrides, _override_years, _loaded_at
    from .models import CalendarDay

    rows = dict(CalendarDay.objects.values_list("date", "kind"))
    _overrides = {day: kind == CalendarDay.Kind.WORKING_DAY for day, kind in rows.items()}
    _override_years = {day.year for day in rows}
    _loaded_at = time.monotonic()


def reload() -> None:
    """Forget the cached admin-entered days (called after they change in this process)."""
    global _loaded_at
    _loaded_at = 0.0


def _current_overrides() -> dict[dt.date, bool]:
    if time.monotonic() - _loaded_at > RELOAD_SECONDS:
        with _lock:
            if time.monotonic() - _loaded_at > RELOAD_SECONDS:
                _load_overrides()
    return _overrides


def package_knows(year: int) -> bool:
    try:
        import chinese_calendar

        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except (NotImplementedError, ImportError):
        return False
    return True


def schedule_known(year: int) -> bool:
    """Is the official holiday schedule of ``year`` known (from the package or entered by an admin)?"""
    _current_overrides()
    return package_knows(year) or year in _override_years


def unknown_years(years) -> list[int]:
    return [year for year in years if not schedule_known(year)]


def is_working_day(day: dt.date) -> bool:
    overrides = _current_overrides()
    if day in overrides:
        return overrides[day]
    try:
        import chinese_calendar

        return chinese_calendar.is_workday(day)
    except (NotImplementedError, ImportError):
        if day.year not in _override_years and day.year not in _warned:
            _warned.add(day.year)
            logger.warning(
                "No official holiday schedule for %s: deadlines count only weekends as days off. "
                "Enter the year's holidays and make-up working days (admin: calendar days).",
                day.year,
            )
        return day.weekday() < 5


def _working_start_at_or_after(moment: dt.datetime) -> dt.datetime:
    day = moment.date()
    while True:
        if is_working_day(day):
            for start, end in WORK_PERIODS:
                if moment < dt.datetime.combine(day, end, tzinfo=moment.tzinfo):
                    return max(moment, dt.datetime.combine(day, start, tzinfo=moment.tzinfo))
        day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time.min, tzinfo=moment.tzinfo)


def add_working_time(moment: dt.datetime, seconds: float) -> dt.datetime:
    """``moment`` plus ``seconds`` of working time (only working hours of working days count)."""
    moment = _working_start_at_or_after(moment)
    while True:
        day = moment.date()
        for start, end in WORK_PERIODS:
            begin = dt.datetime.combine(day, start, tzinfo=moment.tzinfo)
            finish = dt.datetime.combine(day, end, tzinfo=moment.tzinfo)
            if moment >= finish:
                continue
            moment = max(moment, begin)
            available = (finish - moment).total_seconds()
            if seconds <= available:
                return moment + dt.timedelta(seconds=seconds)
            seconds -= available
            moment = finish
        moment = _working_start_at_or_after(
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=moment.tzinfo)
        )


def deadline(start: dt.datetime, amount, unit: str) -> dt.datetime | None:
    """When work begun at ``start`` with a limit of ``amount`` ``unit`` is due.

    - ``hours``: wall-clock hours.
    - ``working_hours``: working time only (09:00-12:00, 13:00-18:00 on working days).
    - ``working_days``: the same clock time on the N-th following working day; work begun outside
      working hours counts from the next working start (so "3 working days" handed over on the
      Friday before the National Day week ends on the third working day after it, counting a
      make-up Saturday or Sunday). A fraction of a day adds that share of a working day's hours.
    """
    if amount is None:
        return None
    amount = Decimal(str(amount))
    if amount < 0:
        raise ValueError("a time limit cannot be negative")
    if unit == "hours":
        return start + dt.timedelta(seconds=float(amount) * 3600)
    local = start.astimezone(_tz())
    if unit == "working_hours":
        return add_working_time(local, float(amount) * 3600)
    if unit == "working_days":
        begin = _working_start_at_or_after(local)
        whole = int(amount)
        day, counted = begin.date(), 0
        while counted < whole:
            day += dt.timedelta(days=1)
            if is_working_day(day):
                counted += 1
        result = dt.datetime.combine(day, begin.timetz())
        fraction = amount - whole
        if fraction:
            result = add_working_time(result, float(fraction) * WORKING_DAY_SECONDS)
        return result
    raise ValueError(f"unknown time unit {unit!r}")
