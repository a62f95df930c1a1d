"""The batched history writer: simple-history's audit rows of one transaction in one INSERT per model.

A step completion writes two work items (the finished step, the next one); their history rows are
written together at the end of ``batched_history()`` instead of one INSERT per save (measured in
docs/benchmarks.md, "2026-12-01 02:00-02:45 UTC").

It stands in for simple-history's ``post_save`` receiver (``HistoricalRecords.post_save`` ->
``create_historical_record``), switched off per save with ``skip_history_when_saving``, and writes
what ``bulk_history_create`` writes. Switch ``batched_history`` off (``opsflow.fastpath.switches``)
and every save writes its own history row at once, as simple-history does.
"""

from __future__ import annotations

import contextvars
import functools
from contextlib import contextmanager

from django.utils import timezone
from simple_history.utils import get_change_reason_from_object

from .compiled import CompiledInsert
from .switches import enabled

_history_batch: contextvars.ContextVar[list | None] = contextvars.ContextVar("opsflow_history", default=None)


def set_history_user(obj, user):
    """Name ``user`` as the author of ``obj``'s next history row (simple-history's ``_history_user``)."""
    obj._history_user = user
    return obj


def save_with_history(obj, user=None, update_fields=None):
    """Save ``obj`` with its history row (by ``user``, else whoever the request is from). Inside
    ``batched_history`` the row is kept and written with the others when the batch ends."""
    if user is not None:
        set_history_user(obj, user)
    batch = _history_batch.get()
    if batch is None:
        obj.save(update_fields=update_fields)
        return
    history_type = "+" if obj._state.adding else "~"
    obj.skip_history_when_saving = True  # simple-history's switch for one save
    try:
        obj.save(update_fields=update_fields)
    finally:
        del obj.skip_history_when_saving
    batch.append((obj, history_type, timezone.now()))


@functools.cache
def _history_insert(model):
    """The audit rows' INSERT for ``model``: its tracked fields, then who, when, why and the type."""
    history = model.history.model  # (the descriptor builds a manager class on every access)
    tracked = [field.attname for field in history.tracked_fields]
    columns = [*tracked, "history_date", "history_user_id", "history_change_reason", "history_type"]
    return history, tracked, CompiledInsert(history, columns)


@contextmanager
def batched_history():
    """Keep the history rows of ``save_with_history`` inside the block and write them when it ends."""
    if not enabled("batched_history"):
        yield  # every save writes its own history row, through simple-history
        return
    rows = []
    token = _history_batch.set(rows)
    try:
        yield
    finally:
        _history_batch.reset(token)
    # what simple-history's bulk_history_create writes, for rows of mixed types ("+" and "~"), in one
    # INSERT per model compiled once (opsflow.fastpath.compiled)
    by_model = {}
    for row in rows:
        by_model.setdefault(type(row[0]), []).append(row)
    for model, model_rows in by_model.items():
        history, tracked, insert = _history_insert(model)
        values = []
        for obj, history_type, at in model_rows:
            user = getattr(obj, "_history_user", None) or history.get_default_history_user(obj)
            who = (at, getattr(user, "pk", None), get_change_reason_from_object(obj), history_type)
            values.append([*(getattr(obj, name) for name in tracked), *who])
        insert(values)
