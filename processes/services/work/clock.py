"""The work kernel's clock: "now" for every state change, which imports, demos and tests may place in the past.

A completion (or a run's start) sets the clock to its time for everything it triggers (the next step's
work item, its deadline and escalation), so a completion given ``at`` creates the next step at ``at`` too.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_clock: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("opsflow_clock", default=None)


def now(at: datetime | None = None) -> datetime:
    """``at`` when given, else the time the clock is set to (inside ``clock_at``), else the present."""
    return at or _clock.get() or timezone.now()


@contextmanager
def clock_at(at: datetime) -> Iterator[datetime]:
    """Everything inside happens at ``at`` (``now()`` answers it); the clock is reset on leaving."""
    token = _clock.set(at)
    try:
        yield at
    finally:
        _clock.reset(token)


def seconds(start: datetime, end: datetime) -> int:
    """Whole seconds from ``start`` to ``end``, never negative."""
    return max(0, int((end - start).total_seconds()))
