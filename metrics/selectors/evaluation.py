"""Read side of effect evaluations."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from processes import access

from ..choices import Direction, TargetKind
from ..models import Evaluation
from ..services.evaluation import reason_text


def evaluation_list(*, user):
    qs = Evaluation.objects.select_related("process", "process__department", "created_by")
    return access.scope_queryset(user, qs, field="process__department")


def evaluation_get(*, user, pk):
    qs = evaluation_list(user=user).prefetch_related("rows__indicator")
    return get_object_or_404(qs, pk=pk)


def effect_rows(evaluation):
    """The template 4 table as rows of display values (shared by the page and the exports)."""
    rows = []
    for row in evaluation.rows.all():
        change = row.change_rate * 100 if row.change_rate is not None else None
        arrow = "↓" if change is not None and change < 0 else ("↑" if change is not None and change > 0 else "")
        rows.append(
            {
                "row": row,
                "indicator": row.indicator,
                "before": row.before,
                "after": row.after,
                "change": change,
                "change_text": f"{arrow} {abs(change):.2f}%".strip() if change is not None else "—",
                "target_text": target_text(row),
                "verdict": row.get_verdict_display(),
                "reason": reason_text(row.verdict_reason, row.p_value),
                "final": row.get_override_display() if row.override else row.get_verdict_display(),
            }
        )
    return rows


def target_text(row) -> str:
    if row.target_value is None:
        return "—"
    value = f"{row.target_value.normalize():f}"
    if row.target_kind == TargetKind.RELATIVE:
        return f"{value}%"
    sign = "≤" if row.indicator.direction == Direction.LOWER else "≥"
    return f"{sign} {value} {row.indicator.unit}".strip()
