"""Process standards (template 2): authoring, versions, approval and publication."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..choices import VersionStatus
from ..constants import APPROVE_STANDARD, AUTHOR_STANDARD
from ..models import EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step
from . import webhooks
from .work import audit

VERSION_FIELDS = [
    "change_note",
    "goal_en",
    "goal_zh",
    "scope_en",
    "scope_zh",
    "out_of_scope_en",
    "out_of_scope_zh",
    "inputs_en",
    "inputs_zh",
    "outputs_en",
    "outputs_zh",
]
STEP_FIELDS = [
    "name_en",
    "name_zh",
    "department",
    "role",
    "automatic",
    "time_limit",
    "time_unit",
    "standard_en",
    "standard_zh",
    "inputs_en",
    "inputs_zh",
    "outputs_en",
    "outputs_zh",
    "checks_en",
    "checks_zh",
]
TARGET_FIELDS = ["kind", "indicator_en", "indicator_zh", "comparator", "value", "unit"]
LEVEL_FIELDS = ["level", "target", "after_hours"]
PLAN_FIELDS = [
    "trigger_en",
    "trigger_zh",
    "action_en",
    "action_zh",
    "department",
    "response_limit",
    "response_unit",
]


def _require(user, capability, department_id):
    if not access.can(user, capability, department_id):
        raise PermissionDenied(_("Your role or department does not allow this."))


# Processes
# ------------------------------------------------------------------------------


@transaction.atomic
def process_create(*, user, code: str, name_en: str, department, name_zh: str = "", **fields) -> Process:
    _require(user, AUTHOR_STANDARD, department.pk if department else None)
    process = Process(code=code, name_en=name_en, name_zh=name_zh, department=department, created_by=user, **fields)
    process.full_clean()
    audit(process, user).save()
    return process


@transaction.atomic
def process_update(*, process: Process, user, **fields) -> Process:
    _require(user, AUTHOR_STANDARD, process.department_id)
    if "department" in fields:
        # moving a process to another department needs the right to author there too
        _require(user, AUTHOR_STANDARD, fields["department"].pk)
    for name, value in fields.items():
        setattr(process, name, value)
    process.full_clean()
    audit(process, user).save()
    return process


# Versions
# ------------------------------------------------------------------------------


def _lock_version(version: StandardVersion) -> StandardVersion:
    """Lock the version's row and re-read it in place, so two requests never act on a stale state
    and the caller's object shows the result."""
    StandardVersion.objects.select_for_update().filter(pk=version.pk).values_list("pk").get()
    version.refresh_from_db()
    return version


def _open_version_exists(process) -> StandardVersion | None:
    return process.versions.filter(
        status__in=[VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.APPROVED]
    ).first()


@transaction.atomic
def version_create(*, process: Process, user) -> StandardVersion:
    """Start an empty draft (the first version of a process, or a fresh start)."""
    _require(user, AUTHOR_STANDARD, process.department_id)
    return _new_version(process=process, user=user)


def _new_version(*, process, user, based_on=None, **fields) -> StandardVersion:
    Process.objects.select_for_update().filter(pk=process.pk).first()  # serialise version numbering
    open_version = _open_version_exists(process)
    if open_version is not None:
        raise ValidationError(
            _("Version %(number)s of this process is still in the works; finish or publish it first.")
            % {"number": open_version.number}
        )
    number = (process.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = StandardVersion(process=process, number=number, author=user, based_on=based_on, **fields)
    version.full_clean()
    try:
        with transaction.atomic():
            audit(version, user).save()
    except IntegrityError:
        raise ValidationError(_("Another version of this process was started at the same time.")) from None
    return version


@transaction.atomic
def version_new_draft(*, version: StandardVersion, user, change_note: str = "") -> StandardVersion:
    """A new draft that copies everything of ``version`` (steps keep their keys, for comparison)."""
    _require(user, AUTHOR_STANDARD, version.process.department_id)
    fields = {name: getattr(version, name) for name in VERSION_FIELDS if name != "change_note"}
    draft = _new_version(process=version.process, user=user, based_on=version, change_note=change_note, **fields)
    for step in version.steps.all():
        audit(Step(version=draft, key=step.key, position=step.position, **_values(step, STEP_FIELDS)), user).save()
    for target in version.targets.all():
        values = _values(target, TARGET_FIELDS)
        audit(StandardTarget(version=draft, position=target.position, **values), user).save()
    for level in version.escalation_levels.all():
        audit(EscalationLevel(version=draft, **_values(level, LEVEL_FIELDS)), user).save()
    for plan in version.exception_plans.all():
        values = _values(plan, PLAN_FIELDS)
        audit(ExceptionPlan(version=draft, key=plan.key, position=plan.position, **values), user).save()
    return draft


def _values(obj, names) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _sync_rows(*, user, version, model, rows: list[dict], fields: list[str], key_field: str | None, order_field: str):
    """Make the child rows of ``version`` equal ``rows``: update kept ones, add new ones, delete the rest.

    Kept rows are updated in place (so the audit trail shows a change, not a delete and an add);
    positions are first moved out of the way so the unique (version, position) index never trips.
    """
    existing = {getattr(obj, key_field): obj for obj in model.objects.filter(version=version)} if key_field else {}
    if not key_field:
        for obj in model.objects.filter(version=version):
            audit(obj, user).delete()
    kept = set()
    errors = {}
    objects = []
    seen = {}
    for index, row in enumerate(rows, start=1):
        key = row.get("key") if key_field else None
        if key:
            try:
                key = key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
            except ValueError:
                errors[index] = {key_field: [_("Enter a valid UUID.")]}
                continue
            first = seen.setdefault(key, index)
            if first != index:  # the later row would overwrite the earlier one: one of them lost
                errors[index] = {key_field: [_("Row %(n)s has the same key; each row needs its own.") % {"n": first}]}
                continue
        obj = existing.get(key) if key else None
        if obj is None:
            obj = model(version=version)
            if key_field and key:
                obj.key = key  # keep a key the client chose (API upsert)
        else:
            kept.add(key)
        for name in fields:
            if name in row:
                setattr(obj, name, row[name])
        setattr(obj, order_field, index if order_field == "position" else row.get(order_field, index))
        try:
            obj.full_clean(exclude=["version", "key"] + (["position"] if order_field == "position" else []))
        except ValidationError as exc:
            errors[index] = exc.message_dict
        objects.append(obj)
    if errors:
        return errors
    if key_field:
        for key, obj in existing.items():
            if key not in kept:
                audit(obj, user).delete()
        offset = 100000
        for obj in objects:
            if obj.pk:
                model.objects.filter(pk=obj.pk).update(**{order_field: getattr(obj, order_field) + offset})
    for obj in objects:
        audit(obj, user).save()
    return {}


@transaction.atomic
def version_save(
    *,
    version: StandardVersion,
    user,
    fields: dict[str, Any] | None = None,
    steps: list[dict] | None = None,
    targets: list[dict] | None = None,
    escalation_levels: list[dict] | None = None,
    exception_plans: list[dict] | None = None,
) -> StandardVersion:
    """Save the whole template 2 document of a draft at once; any error stores nothing.

    Child lists replace the draft's rows (``None`` leaves that table as it is). Steps and exception
    plans are matched by ``key``; rows come in display order and are renumbered 1..n.
    """
    _require(user, AUTHOR_STANDARD, version.process.department_id)
    version = _lock_version(version)
    if not version.is_editable:
        raise ValidationError(
            _("Version %(number)s is %(status)s and can no longer be edited; start a new draft instead.")
            % {"number": version.number, "status": version.get_status_display()}
        )
    for name, value in (fields or {}).items():
        if name not in VERSION_FIELDS:
            raise ValidationError({name: _("This field cannot be changed here.")})
        setattr(version, name, value)
    version.full_clean()
    audit(version, user).save()
    all_errors = {}
    if escalation_levels is not None:
        levels = [row.get("level") for row in escalation_levels]
        duplicates = {level for level in levels if levels.count(level) > 1}
        for index, level in enumerate(levels, start=1):
            if level in duplicates:
                message = _("Each escalation level may appear once.")
                all_errors.setdefault("escalation_levels", {})[index] = {"level": [message]}
        if all_errors:
            raise ChildRowsInvalid(all_errors)
    tables = [
        ("steps", steps, Step, STEP_FIELDS, "key", "position"),
        ("targets", targets, StandardTarget, TARGET_FIELDS, None, "position"),
        ("escalation_levels", escalation_levels, EscalationLevel, LEVEL_FIELDS, None, "level"),
        ("exception_plans", exception_plans, ExceptionPlan, PLAN_FIELDS, "key", "position"),
    ]
    for name, rows, model, names, key_field, order_field in tables:
        if rows is None:
            continue
        errors = _sync_rows(
            user=user,
            version=version,
            model=model,
            rows=rows,
            fields=names,
            key_field=key_field,
            order_field=order_field,
        )
        if errors:
            all_errors[name] = errors
    if all_errors:
        raise ChildRowsInvalid(all_errors)
    return version


class ChildRowsInvalid(ValidationError):
    """Field errors of rows in the child tables: ``{"steps": {row_number: {field: [messages]}}}``."""

    def __init__(self, errors: dict):
        self.row_errors = errors
        flat = {}
        for table, rows in errors.items():
            for number, messages in rows.items():
                for name, texts in messages.items():
                    flat.setdefault(f"{table}[{number}].{name}", []).extend(texts)
        super().__init__(flat)


def _validate_complete(version: StandardVersion):
    errors = {}
    steps = list(version.steps.all())
    if not steps:
        errors["steps"] = [_("A standard needs at least one step.")]
    if not (version.goal_en or version.goal_zh):
        errors["goal_en"] = [_("Say what the process must achieve.")]
    if not (version.scope_en or version.scope_zh):
        errors["scope_en"] = [_("Say which cases the standard covers.")]
    manual_without_limit = [s for s in steps if not s.automatic and s.time_limit is None]
    if steps and len(manual_without_limit) == len([s for s in steps if not s.automatic]):
        errors["steps"] = errors.get("steps", []) + [_("Give at least one manual step a time limit.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def version_submit(*, version: StandardVersion, user) -> StandardVersion:
    _require(user, AUTHOR_STANDARD, version.process.department_id)
    version = _lock_version(version)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    _validate_complete(version)
    version.status = VersionStatus.SUBMITTED
    version.submitted_at = timezone.now()
    version.review_note = ""
    audit(version, user).save()
    return version


@transaction.atomic
def version_approve(*, version: StandardVersion, user, note: str = "") -> StandardVersion:
    _require(user, APPROVE_STANDARD, version.process.department_id)
    version = _lock_version(version)
    if version.status != VersionStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted version can be approved."))
    if version.author_id == user.pk:
        raise PermissionDenied(_("You wrote this version: another manager must approve it."))
    version.status = VersionStatus.APPROVED
    version.approved_by = user
    version.approved_at = timezone.now()
    version.review_note = note
    audit(version, user).save()
    return version


@transaction.atomic
def version_reject(*, version: StandardVersion, user, note: str) -> StandardVersion:
    """Send a submitted or approved version back to draft with the reviewer's reasons."""
    _require(user, APPROVE_STANDARD, version.process.department_id)
    version = _lock_version(version)
    if version.status not in (VersionStatus.SUBMITTED, VersionStatus.APPROVED):
        raise ValidationError(_("Only a submitted or approved version can be sent back."))
    if not note.strip():
        raise ValidationError({"note": _("Say what needs to change.")})
    version.status = VersionStatus.DRAFT
    version.approved_by = None
    version.approved_at = None
    version.review_note = note
    audit(version, user).save()
    return version


@transaction.atomic
def draft_for_change(*, version: StandardVersion, user, change_note: str) -> StandardVersion:
    """The draft that takes a change to ``version``: the process's open draft when it descends from
    ``version`` (a second change joins the first), otherwise a new draft copied from ``version``."""
    _require(user, AUTHOR_STANDARD, version.process.department_id)
    Process.objects.select_for_update().filter(pk=version.process_id).first()
    open_version = _open_version_exists(version.process)
    if open_version is None:
        return version_new_draft(version=version, user=user, change_note=change_note)
    if open_version.status != VersionStatus.DRAFT or open_version.based_on_id != version.pk:
        raise ValidationError(
            _("Version %(number)s of this process is still in the works; finish or publish it first.")
            % {"number": open_version.number}
        )
    if change_note and change_note not in open_version.change_note:
        open_version.change_note = "\n".join(filter(None, [open_version.change_note, change_note]))
        audit(open_version, user).save(update_fields=["change_note", "updated_at"])
    return open_version


@transaction.atomic
def step_limit_change(*, version: StandardVersion, user, key: str, time_limit, time_unit: str) -> Step:
    """Change one step's time limit in a draft (e.g. a pilot stand-up: "too tight, make it 3 hours")."""
    _require(user, AUTHOR_STANDARD, version.process.department_id)
    version = _lock_version(version)
    if not version.is_editable:
        raise ValidationError(_("Only a draft can be changed."))
    step = version.steps.filter(key=key).first()
    if step is None:
        raise ValidationError({"step": _("This step is not in the draft any more.")})
    step.time_limit, step.time_unit = time_limit, time_unit
    step.full_clean()
    audit(step, user).save()
    return step


@transaction.atomic
def version_pilot(*, version: StandardVersion, user) -> StandardVersion:
    """Put an approved version on trial: runs in a pilot's scope use it, everyone else keeps the
    current standard. It is immutable from here on, and no longer blocks a new draft."""
    _require(user, APPROVE_STANDARD, version.process.department_id)
    version = _lock_version(version)
    if version.status == VersionStatus.PILOTING:
        return version
    if version.status != VersionStatus.APPROVED:
        raise ValidationError(_("Only an approved version can be piloted."))
    version.status = VersionStatus.PILOTING
    audit(version, user).save()
    return version


@transaction.atomic
def version_publish(*, version: StandardVersion, user) -> StandardVersion:
    """Make an approved (or piloted) version the current one. The previous current version, and any
    other version still in a pilot, is superseded: runs in a pilot's scope then use the new standard."""
    _require(user, APPROVE_STANDARD, version.process.department_id)
    version = _lock_version(version)
    if version.status not in (VersionStatus.APPROVED, VersionStatus.PILOTING):
        raise ValidationError(_("Only an approved version can be published."))
    for current in (
        StandardVersion.objects.select_for_update()
        .filter(process=version.process, status__in=[VersionStatus.PUBLISHED, VersionStatus.PILOTING])
        .exclude(pk=version.pk)
    ):
        current.status = VersionStatus.SUPERSEDED
        audit(current, user).save()
    version.status = VersionStatus.PUBLISHED
    version.published_by = user
    version.published_at = timezone.now()
    audit(version, user).save()
    webhooks.emit_standard_published(version=version)
    return version


# Comparison
# ------------------------------------------------------------------------------


@dataclass
class FieldChange:
    field: str
    label: str
    before: Any
    after: Any


@dataclass
class RowChange:
    """A step or exception plan: added, removed, changed (with its field changes) or unchanged."""

    state: str  # "added" | "removed" | "changed" | "unchanged"
    before: Any
    after: Any
    changes: list[FieldChange]
    moved: bool = False


@dataclass
class Comparison:
    old: StandardVersion
    new: StandardVersion
    fields: list[FieldChange]
    steps: list[RowChange]
    targets: list[RowChange]
    escalation_levels: list[RowChange]
    exception_plans: list[RowChange]

    @property
    def has_changes(self) -> bool:
        rows = self.steps + self.targets + self.escalation_levels + self.exception_plans
        return bool(self.fields) or any(row.state != "unchanged" or row.moved for row in rows)


def _display(obj, name):
    model_field = obj._meta.get_field(name)
    if model_field.choices:
        return getattr(obj, f"get_{name}_display")()
    value = getattr(obj, name)
    if model_field.is_relation:
        return str(value) if value is not None else ""
    if hasattr(value, "normalize"):
        return f"{value.normalize():f}"
    return value


def _field_changes(old, new, names) -> list[FieldChange]:
    changes = []
    for name in names:
        before, after = _display(old, name), _display(new, name)
        if before != after:
            label = str(new._meta.get_field(name).verbose_name)
            changes.append(FieldChange(name, label, before, after))
    return changes


def _compare_rows(old_rows, new_rows, key, names, ordered=False) -> list[RowChange]:
    """Match rows by ``key``; with ``ordered``, a row is *moved* when its place among the rows that
    both versions share changed (so removing a step does not make every later step look moved)."""
    old_by_key = {key(row): row for row in old_rows}
    new_keys = {key(row) for row in new_rows}
    shared_old = [key(row) for row in old_rows if key(row) in new_keys]
    shared_new = [key(row) for row in new_rows if key(row) in old_by_key]
    result = []
    for row in new_rows:
        before = old_by_key.get(key(row))
        if before is None:
            result.append(RowChange("added", None, row, []))
            continue
        changes = _field_changes(before, row, names)
        moved = ordered and shared_old.index(key(row)) != shared_new.index(key(row))
        result.append(RowChange("changed" if changes else "unchanged", before, row, changes, moved))
    for row in old_rows:
        if key(row) not in new_keys:
            result.append(RowChange("removed", row, None, []))
    return result


def version_compare(*, old: StandardVersion, new: StandardVersion) -> Comparison:
    """Field by field and step by step (steps matched by their key, so a reordered step is 'moved')."""
    if old.process_id != new.process_id:
        raise ValidationError(_("Only versions of the same process can be compared."))

    def rows(version, name):
        return list(getattr(version, name).all())

    def target_key(t):
        return (t.kind, t.indicator_en)

    return Comparison(
        old=old,
        new=new,
        fields=_field_changes(old, new, [n for n in VERSION_FIELDS if n != "change_note"]),
        steps=_compare_rows(rows(old, "steps"), rows(new, "steps"), lambda s: s.key, STEP_FIELDS, ordered=True),
        targets=_compare_rows(rows(old, "targets"), rows(new, "targets"), target_key, TARGET_FIELDS),
        escalation_levels=_compare_rows(
            rows(old, "escalation_levels"), rows(new, "escalation_levels"), lambda e: e.level, LEVEL_FIELDS
        ),
        exception_plans=_compare_rows(
            rows(old, "exception_plans"), rows(new, "exception_plans"), lambda p: p.key, PLAN_FIELDS, ordered=True
        ),
    )
