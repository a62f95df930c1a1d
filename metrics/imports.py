"""Importing measured figures (baseline data) from CSV or XLSX: parse, preview, then store all or nothing."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.utils.translation import gettext as _

from processes import access
from processes.models import Process

from .models import Indicator

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
    parsed, errors = [], []
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
        try:
            start, end = date.fromisoformat(cell("period_start")[:10]), date.fromisoformat(cell("period_end")[:10])
            if end < start:
                problems.append(_("the period ends before it starts"))
        except ValueError:
            start = end = None
            problems.append(_("dates must be YYYY-MM-DD"))
        try:
            value = Decimal(cell("value").rstrip("%"))
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            value = None
            problems.append(_("the value %(value)r is not a number") % {"value": cell("value")})
        counts = {}
        for name in ("observations", "cases"):
            text = cell(name)
            if text and not text.isdigit():
                problems.append(_("%(name)s must be a whole number") % {"name": name})
            counts[name] = int(text) if text.isdigit() else None
        if (
            counts["cases"] is not None
            and counts["observations"] is not None
            and counts["cases"] > counts["observations"]
        ):
            problems.append(_("more cases than observations"))
        if problems:
            errors.append(_("Row %(n)s: %(problems)s.") % {"n": number, "problems": "; ".join(problems)})
            continue
        parsed.append(
            {
                "indicator": indicator.code,
                "process": process.code,
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "value": str(value),
                "sample_size": counts["observations"],
                "numerator": counts["cases"],
                "external_id": cell("external_id")[:100],
                "note": cell("note")[:300],
            }
        )
    return parsed, errors


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
