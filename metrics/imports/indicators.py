"""Importing measured figures (baseline data) from CSV or XLSX: parse, preview, then store all or nothing."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opsflow.imports import date_cell, number_cell, whole_number_cell
from processes import access
from processes.models import Process

from ..models import Indicator
from ..services.indicators import measurements_import

COLUMNS = [
    "indicator",
    "process",
    "period_start",
    "period_end",
    "value",
    "observations",
    "cases",
    "external_id",
    "note",
]
PREVIEW_SECONDS = 1800


def parse(user, header, rows) -> tuple[list[dict], list[str]]:
    """Check every row; returns (rows ready to store, "Row n: ..." errors)."""
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS[:5] if c not in names]
    if missing:
        return [], [_("Missing columns: %(names)s.") % {"names": ", ".join(missing)}]
    index = {name: names.index(name) for name in COLUMNS if name in names}
    indicators = {i.code: i for i in Indicator.objects.all()}
    processes = {p.code: p for p in access.scope_queryset(user, Process.objects.all())}
    parsed, errors, numbers, seen = [], [], [], {}
    for number, cells in rows:

        def cell(name, cells=cells):
            position = index.get(name)
            return cells[position].strip() if position is not None and position < len(cells) else ""

        problems = []
        indicator = indicators.get(cell("indicator"))
        if indicator is None:
            problems.append(_("unknown indicator %(code)r") % {"code": cell("indicator")})
        process = processes.get(cell("process"))
        if process is None or not access.can_write_measurements(user, process.department_id):
            problems.append(_("unknown process %(code)r") % {"code": cell("process")})
        start = _read(problems, date_cell, cell("period_start"), column="period_start")
        end = _read(problems, date_cell, cell("period_end"), column="period_end")
        if start and end and end < start:
            problems.append(_("the period ends before it starts"))
        value = _read(problems, number_cell, cell("value").removesuffix("%").removesuffix("％"), column="value")
        counts = {
            name: _read(problems, whole_number_cell, cell(name), column=name) if cell(name) else None
            for name in ("observations", "cases")
        }
        if (
            counts["cases"] is not None
            and counts["observations"] is not None
            and counts["cases"] > counts["observations"]
        ):
            problems.append(_("more cases than observations"))
        external_id = cell("external_id")[:100]
        if indicator is not None and external_id:
            first = seen.setdefault((indicator.code, external_id), number)
            if first != number:
                problems.append(_("the external id %(id)r is also on row %(row)s") % {"id": external_id, "row": first})
        if problems:
            errors.append(_("Row %(n)s: %(problems)s.") % {"n": number, "problems": "; ".join(problems)})
            continue
        numbers.append(number)
        parsed.append(
            {
                "indicator": indicator.code,
                "process": process.code,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "value": str(value),
                "sample_size": counts["observations"],
                "numerator": counts["cases"],
                "external_id": external_id,
                "note": cell("note")[:300],
            }
        )
    refused = _confirm_errors(user, list(zip(numbers, parsed, strict=True)))
    errors += refused.values()
    return [row for number, row in zip(numbers, parsed, strict=True) if number not in refused], errors


def _read(problems: list, reader, text: str, **kwargs):
    """``reader(text, **kwargs)``, or None with its message added to ``problems``."""
    try:
        return reader(text, **kwargs)
    except ValidationError as exc:
        problems.extend(exc.messages)
        return None


def _confirm_errors(user, rows: list[tuple[int, dict]]) -> dict[int, str]:
    """The confirmation run on the checked rows in a transaction rolled back: every row the store
    would refuse (the database's bounds, the permission to record for the process, a clash with a
    stored external id) is a row error of the preview, so a preview that passes cannot fail at confirm."""

    errors = {}
    if not rows:
        return errors
    with transaction.atomic():
        try:
            with transaction.atomic():
                measurements_import(user=user, rows=[row for _number, row in rows])
            rows = []  # all pass: the usual case, in one run
        except (ValidationError, PermissionDenied):
            pass  # find each row that fails
        for number, row in rows:
            try:
                with transaction.atomic():
                    measurements_import(user=user, rows=[row])
            except ValidationError as exc:
                problems = [_message(name, text) for name, texts in _error_dict(exc).items() for text in texts]
                errors[number] = _("Row %(n)s: %(problems)s.") % {"n": number, "problems": "; ".join(problems)}
            except PermissionDenied as exc:
                reason = str(exc) or _("you cannot record measurements of this process")
                errors[number] = _("Row %(n)s: %(problems)s.") % {"n": number, "problems": reason}
        transaction.set_rollback(True)
    return errors


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}


# the stored field a confirm error names, as the file's column
FIELD_COLUMNS = {"sample_size": "observations", "numerator": "cases"}


def _message(field: str, text: str) -> str:
    if not field or field == NON_FIELD_ERRORS:
        return text
    return f"{FIELD_COLUMNS.get(field, field)}: {text}"


def stash(user, rows) -> str:
    """Keep checked rows for the confirmation step; returns the token the confirm form sends back."""
    token = uuid.uuid4().hex
    cache.set(f"metrics-import:{user.pk}:{token}", rows, PREVIEW_SECONDS)
    return token


def take(user, token) -> list[dict] | None:
    key = f"metrics-import:{user.pk}:{token}"
    rows = cache.get(key)
    cache.delete(key)
    return rows
