"""Business calendar: deadlines in working days and working hours (interim version).

Working days come from the maintained ``chinese_calendar`` package (China's official holidays and
make-up working days, known up to 2026); other years fall back to Monday-Friday and are reported by
``calendar_warnings()``. Working hours are 09:00-12:00 and 13:00-18:00 in settings.TIME_ZONE.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings

logger = logging.getLogger(__name__)

WORK_PERIODS = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
_unknown_years: set[int] = set()


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    try:
        import chinese_calendar

        return chinese_calendar.is_workday(day)
    except (NotImplementedError, ImportError):
        if day.year not in _unknown_years:
            _unknown_years.add(day.year)
            logger.warning("No official holiday schedule for %s: only weekends are days off", day.year)
        return day.weekday() < 5


def schedule_known(year: int) -> bool:
    try:
        import chinese_calendar

        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except (NotImplementedError, ImportError):
        return False


def calendar_warnings() -> list[int]:
    return sorted(_unknown_years)


def _next_working_start(moment: dt.datetime) -> dt.datetime:
    """The first working instant at or after ``moment`` (local time)."""
    day = moment.date()
    while True:
        if is_working_day(day):
            for start, end in WORK_PERIODS:
                begin = dt.datetime.combine(day, start, tzinfo=moment.tzinfo)
                finish = dt.datetime.combine(day, end, tzinfo=moment.tzinfo)
                if moment < finish:
                    return max(moment, begin)
        day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time.min, tzinfo=moment.tzinfo)


def _add_working_seconds(moment: dt.datetime, seconds: float) -> dt.datetime:
    moment = _next_working_start(moment)
    while True:
        day = moment.date()
        for start, end in WORK_PERIODS:
            finish = dt.datetime.combine(day, end, tzinfo=moment.tzinfo)
            begin = dt.datetime.combine(day, start, tzinfo=moment.tzinfo)
            if moment >= finish:
                continue
            available = (finish - max(moment, begin)).total_seconds()
            if available <= 0:
                continue
            if seconds <= available:
                return max(moment, begin) + dt.timedelta(seconds=seconds)
            seconds -= available
            moment = finish
        moment = _next_working_start(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=moment.tzinfo))


def deadline(start: dt.datetime, amount, unit: str) -> dt.datetime | None:
    """The due time of work started at ``start`` with a limit of ``amount`` ``unit``.

    hours: wall-clock hours. working_hours: only working time on working days counts.
    working_days: the same time of day on the N-th following working day (a start outside working
    hours counts from the next working start).
    """
    if amount is None:
        return None
    amount = Decimal(str(amount))
    if unit == "hours":
        return start + dt.timedelta(hours=float(amount))
    local = start.astimezone(_tz())
    if unit == "working_hours":
        return _add_working_seconds(local, float(amount) * 3600)
    if unit == "working_days":
        moment = _next_working_start(local)
        whole = int(amount)
        day = moment.date()
        counted = 0
        while counted < whole:
            day += dt.timedelta(days=1)
            if is_working_day(day):
                counted += 1
        result = dt.datetime.combine(day, moment.timetz())
        fraction = amount - whole
        if fraction:
            result = _add_working_seconds(result, float(fraction) * 8 * 3600)
        return result
    raise ValueError(f"unknown time unit {unit!r}")
