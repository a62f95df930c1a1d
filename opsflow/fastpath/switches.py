"""The fast path's switches: ``OPSFLOW_FAST_PATH`` turns each trick of this package off.

The setting maps every trick's name to ``True`` (on, the default) or ``False`` (off: the plain library
path, see the index in ``opsflow/fastpath/__init__.py``). It is read on every use, so a test's
``override_settings`` or a restart with ``OPSFLOW_FAST_PATH_OFF`` set takes effect without anything
else to clear. Prepared statements have their own, older setting, ``OPSFLOW_PREPARED_STATEMENTS``.

``opsflow/settings/base.py`` builds the setting with ``from_env`` (``django.conf.settings`` is lazy, so
importing this module from the settings reads nothing).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TRICKS = (
    "compiled_read",  # CompiledRead: a queryset's SQL written once (the locking read, knox's token read)
    "compiled_insert",  # CompiledInsert: rows of one table in one INSERT written once (audit rows, task links)
    "compiled_saves",  # CompiledSaves: save()'s UPDATE/INSERT written once per set of columns
    "batched_history",  # simple-history's rows of a completion in one INSERT at its end
    "decided_if",  # DecidedIf: the run's gate decided when it is created
    "step_view",  # StepView: the step's task link written by CompiledInsert
    "cached_fields",  # CachedFields: a serializer's fields built once per process
    "counter_throttle",  # opsflow.api.throttling: one atomic increment per request
    "gc_freeze",  # opsflow.wsgi: what the process loaded is frozen out of the garbage collector
)


class UnknownTrick(ImproperlyConfigured):
    """``OPSFLOW_FAST_PATH_OFF`` names a trick that does not exist."""


def from_env(value: str) -> dict[str, bool]:
    """``OPSFLOW_FAST_PATH`` from ``OPSFLOW_FAST_PATH_OFF``: a comma-separated list of tricks to turn
    off, or ``all``; empty keeps every trick on. An unknown name is refused (a typo would otherwise
    leave the trick on without a word)."""
    names = {name.strip() for name in value.split(",") if name.strip()}
    if names == {"all"}:
        return dict.fromkeys(TRICKS, False)
    unknown = sorted(names - set(TRICKS))
    if unknown:
        raise UnknownTrick(
            f"OPSFLOW_FAST_PATH_OFF: unknown trick(s) {', '.join(unknown)}; known: all, {', '.join(TRICKS)}"
        )
    return {name: name not in names for name in TRICKS}


def enabled(name: str) -> bool:
    """Whether the trick ``name`` is on (a trick the setting does not name is on)."""
    return getattr(settings, "OPSFLOW_FAST_PATH", _ALL_ON).get(name, True) is not False


_ALL_ON: dict[str, bool] = {}
