"""Tombstones: a row deleted from a table the API syncs leaves (model, id, department, when) behind,
so ``/api/v1/org/deletions/`` can tell a syncing client what to delete.

Each app names its synced models with ``track(model, department=...)`` in its ``ready()`` (processes
never imports the other apps' tables); ``department`` is the attribute path to the department id
that scopes the row (``"project.department_id"``), or None for organisation-wide rows. The
tombstone is written by ``post_delete`` in the deleting transaction, so it exists exactly when the
deletion does; cascades leave one per row.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.db.models.signals import post_delete
from django.utils import timezone

from . import models as m
from .models import Tombstone

_tracked: dict[type, str | None] = {}


def track(model, *, department: str | None = "department_id") -> None:
    _tracked[model] = department
    post_delete.connect(_deleted, sender=model, dispatch_uid=f"tombstone:{model._meta.label_lower}")


def tracked() -> dict[str, str | None]:
    return {model._meta.label_lower: path for model, path in _tracked.items()}


def _department_id(instance, path: str | None) -> int | None:
    if path is None:
        return None
    value = instance
    try:
        for name in path.split("."):
            value = getattr(value, name)
    except (ObjectDoesNotExist, AttributeError):
        return None
    return value


def _deleted(sender, instance, **kwargs):
    Tombstone.objects.create(
        model=sender._meta.label_lower,
        object_id=str(instance.pk),
        department_id=_department_id(instance, _tracked.get(sender)),
        deleted_at=timezone.now(),
    )


def track_processes() -> None:
    track(m.Department, department="id")
    for model in (m.User, m.Process, m.Case, m.Run, m.WorkItem, m.ImprovementProject):
        track(model)
    track(m.StandardVersion, department="process.department_id")
    track(m.Escalation, department="work_item.department_id")
    for model in (m.Goal, m.Problem, m.CurrentStateAnalysis, m.Bottleneck, m.ProjectNote, m.TeamMember):
        track(model, department="project.department_id")
