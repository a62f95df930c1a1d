"""The work-kind registry: each app registers its kinds of work item and what happens when one finishes.

An app calls ``kind_register(value, label, on_finished=...)`` in its AppConfig.ready(); when a work item
outside a run is completed, ``work_finished`` calls its kind's ``on_finished(item=, user=, at=, note=)``
inside the completion's transaction (the app closes its own record; a ``ValidationError`` refuses the
completion). Nothing has to filter by kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Kind:
    value: str
    label: str
    on_finished: tuple[Callable[..., None], ...] = ()


_KINDS: dict[str, Kind] = {}


def kind_register(value: str, label, *, on_finished: Callable[..., None] | None = None) -> Kind:
    """Register a kind of work item (again with the same arguments is a no-op).

    Until the two "review" kinds get distinct stored values (pilots' monitoring review and metrics'
    periodic review share "review"), a kind may be registered by two apps with the same label; each
    app's ``on_finished`` then closes its own record, if the item is one of theirs."""
    value = str(value)
    known = _KINDS.get(value)
    if known is not None and str(known.label) != str(label):
        raise ImproperlyConfigured(f"work kind {value!r} is registered twice with different labels")
    handlers = known.on_finished if known is not None else ()
    if on_finished is not None and on_finished not in handlers:
        handlers = (*handlers, on_finished)
    _KINDS[value] = Kind(value, label, handlers)
    return _KINDS[value]


def kind_get(value: str) -> Kind | None:
    return _KINDS.get(value)


def kind_choices() -> list[tuple[str, str]]:
    """(value, label) of every registered kind, for forms, filters and the API."""
    return [(kind.value, kind.label) for kind in _KINDS.values()]


def work_finished(*, item, user, at, note) -> None:
    """A work item outside a run was completed: its kind's ``on_finished``, if any."""
    kind = _KINDS.get(item.kind)
    for on_finished in kind.on_finished if kind is not None else ():
        on_finished(item=item, user=user, at=at, note=note)
