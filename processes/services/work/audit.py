"""Who changed what: every write of the kernel (and of the apps above it) names its author in the history.

Public names over the fast path's history writer (``opsflow.fastpath.history``; measured in
docs/benchmarks.md, "REST completions under load"): ``audit`` names the author of an object's next history
row, ``save_audited`` saves with that row, ``clean_and_save`` validates first, and ``batched_history``
writes the rows of a whole completion in one INSERT per model.
"""

from opsflow.fastpath.history import batched_history
from opsflow.fastpath.history import save_with_history as save_audited
from opsflow.fastpath.history import set_history_user as audit

__all__ = ["audit", "batched_history", "clean_and_save", "save_audited"]


def clean_and_save(obj, user, **clean):
    """Validate ``obj`` (``full_clean(**clean)``), then save it with a history row naming ``user``; returns it."""
    obj.full_clean(**clean)
    audit(obj, user).save()
    return obj
