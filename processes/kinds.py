"""The work-kind registry: each app registers its kinds of work item and what happens when one finishes.

An app declares its kinds in its own ``choices`` and calls ``kind_register(value, label, on_finished=...)``
in its AppConfig.ready(); ``WorkItem.kind`` takes its choices from ``kind_choices`` (a callable, so a new
kind needs no migration of processes). When a work item outside a run is completed, ``work_finished``
calls its kind's ``on_finished(item=, user=, at=, note=)`` inside the completion's transaction (the app
closes its own record; a ``ValidationError`` refuses the completion). Nothing has to filter by kind.

This module imports no model (``processes.models.work`` imports it); the kernel re-exports it
(``processes.services.work``). processes' own kinds are registered here, so they exist before any
AppConfig.ready() runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from .choices import WorkKind


@dataclass(frozen=True)
class Kind:
    value: str
    label: str
    on_finished: Callable[..., None] | None = None
    resolution: bool = False  # completing it asks for a resolution (a required note), not an optional note


_KINDS: dict[str, Kind] = {}


def kind_register(
    value: str, label, *, on_finished: Callable[..., None] | None = None, resolution: bool = False
) -> Kind:
    """Register a kind of work item; registering it again with the same arguments is a no-op, a value
    registered twice with another label or ``on_finished`` is a mistake (two apps would share its rows)."""
    value = str(value)
    kind = Kind(value, label, on_finished, resolution)
    known = _KINDS.get(value)
    if known is not None and known != kind:
        raise ImproperlyConfigured(f"work kind {value!r} is registered twice, differently")
    _KINDS[value] = kind
    return kind


def kind_get(value: str) -> Kind | None:
    return _KINDS.get(value)


def kind_choices() -> list[tuple[str, str]]:
    """(value, label) of every registered kind, for forms, filters and the API."""
    return [(kind.value, kind.label) for kind in _KINDS.values()]


def work_finished(*, item, user, at, note) -> None:
    """A work item outside a run was completed: its kind's ``on_finished``, if any."""
    kind = _KINDS.get(item.kind)
    if kind is not None and kind.on_finished is not None:
        kind.on_finished(item=item, user=user, at=at, note=note)


for _kind in WorkKind:  # a run or a project flow moves on when they finish; nothing else to close
    kind_register(_kind.value, _kind.label)
