"""Metrics writes: measurements (entered, imported, posted), effect evaluations and their verdicts."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from processes import access
from processes.constants import APPROVE_STANDARD, MANAGE_PROJECT

from ..choices import Direction, TargetKind, Verdict
from ..constants import (
    FAR_MARGIN,
    MIN_OBSERVATIONS,
    REASON_FAR,
    REASON_MET,
    REASON_NO_DATA,
    REASON_NO_TARGET,
    REASON_NOT_MET,
    REASON_NOT_SIGNIFICANT,
    REASON_TOO_FEW,
    SIGNIFICANCE_LEVEL,
)
from ..models import Evaluation, EvaluationRow
from ..selectors import indicators as selectors


def _require(user, capability, department_id):
    if not access.can(user, capability, department_id):
        raise PermissionDenied(_("Your role or department does not allow this."))


# Verdicts
# ------------------------------------------------------------------------------


def change_rate(before: Decimal | None, after: Decimal | None) -> Decimal | None:
    """(after - before) / before; undefined when there is no before value or it is zero."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / before


def target_bound(*, before: Decimal | None, kind: str, value: Decimal | None) -> Decimal | None:
    """A relative target (-20 %) becomes the bound before * (1 - 0.20); an absolute one is the bound."""
    if value is None or not kind:
        return None
    if kind == TargetKind.RELATIVE:
        if before is None:
            return None
        return before * (1 + value / 100)
    return value


def significance(*, before, after, is_rate: bool) -> float | None:
    """p-value of the difference: Fisher's exact test for rates with counted cases, Welch's t-test for
    means with standard deviations; None when the data allow no test."""
    from scipy import stats

    if is_rate and None not in (before.n, after.n, before.numerator, after.numerator) and before.n and after.n:
        table = [[before.numerator, before.n - before.numerator], [after.numerator, after.n - after.numerator]]
        return float(stats.fisher_exact(table).pvalue)
    if None not in (before.std, after.std, before.n, after.n) and before.n > 1 and after.n > 1:
        if before.std == 0 and after.std == 0:
            return 0.0 if before.value != after.value else 1.0
        result = stats.ttest_ind_from_stats(
            float(before.value), before.std, before.n, float(after.value), after.std, after.n, equal_var=False
        )
        return float(result.pvalue)
    return None


def judge(*, before, after, direction: str, target_kind: str, target_value, p_value: float | None) -> tuple[str, str]:
    """The verdict of one row and why. Rules, in order:

    1. keep tracking when a value is missing, when either side has fewer than MIN_OBSERVATIONS
       observations (if counted), or when the difference is not significant (p >= 0.05);
    2. with no target, keep tracking;
    3. far beyond expectation when the result beats the target bound by FAR_MARGIN of the bound;
    4. reached when it meets the bound; otherwise not reached.
    """
    if before.value is None or after.value is None:
        return Verdict.KEEP_TRACKING, REASON_NO_DATA
    counts = [n for n in (before.n, after.n) if n is not None]
    if counts and min(counts) < MIN_OBSERVATIONS:
        return Verdict.KEEP_TRACKING, REASON_TOO_FEW
    if p_value is not None and p_value >= SIGNIFICANCE_LEVEL:
        return Verdict.KEEP_TRACKING, REASON_NOT_SIGNIFICANT
    bound = target_bound(before=before.value, kind=target_kind, value=target_value)
    if bound is None:
        return Verdict.KEEP_TRACKING, REASON_NO_TARGET
    value = after.value
    if direction == Direction.LOWER:
        if value <= bound - FAR_MARGIN * abs(bound):
            return Verdict.FAR_EXCEEDED, REASON_FAR
        if value <= bound:
            return Verdict.REACHED, REASON_MET
    else:
        if value >= bound + FAR_MARGIN * abs(bound):
            return Verdict.FAR_EXCEEDED, REASON_FAR
        if value >= bound:
            return Verdict.REACHED, REASON_MET
    return Verdict.NOT_REACHED, REASON_NOT_MET


def reason_text(code: str, p_value: float | None = None) -> str:
    texts = {
        REASON_NO_DATA: _("No data for one of the periods."),
        REASON_TOO_FEW: _("Too few observations (fewer than %(n)s).") % {"n": MIN_OBSERVATIONS},
        REASON_NOT_SIGNIFICANT: _("The difference is not statistically significant (p = %(p).2f).")
        % {"p": p_value if p_value is not None else 1.0},
        REASON_NO_TARGET: _("No target set."),
        REASON_FAR: _("At least %(margin)s%% better than the target.") % {"margin": int(FAR_MARGIN * 100)},
        REASON_MET: _("The target is met."),
        REASON_NOT_MET: _("The target is not met."),
    }
    return texts.get(code, code)


# Evaluations
# ------------------------------------------------------------------------------


def _validate_periods(data):
    errors = {}
    if data["baseline_end"] < data["baseline_start"]:
        errors["baseline_end"] = [_("The baseline ends before it starts.")]
    if data["evaluation_end"] < data["evaluation_start"]:
        errors["evaluation_end"] = [_("The evaluation period ends before it starts.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def evaluation_create(*, user, process, title, baseline_start, baseline_end, evaluation_start, evaluation_end, rows):
    """Create an effect evaluation and compute its rows (``rows``: indicator, target_kind, target_value)."""
    _require(user, MANAGE_PROJECT, process.department_id)
    periods = dict(
        baseline_start=baseline_start,
        baseline_end=baseline_end,
        evaluation_start=evaluation_start,
        evaluation_end=evaluation_end,
    )
    _validate_periods(periods)
    evaluation = Evaluation(title=title, process=process, created_by=user, **periods)
    evaluation.full_clean()
    evaluation._history_user = user
    evaluation.save()
    _save_rows(evaluation, rows)
    evaluation_compute(evaluation=evaluation)
    return evaluation


def _save_rows(evaluation, rows):
    indicators = [row["indicator"] for row in rows]
    if len(set(indicators)) != len(indicators):
        raise ValidationError({"rows": [_("Each indicator may appear once.")]})
    if not rows:
        raise ValidationError({"rows": [_("Choose at least one indicator.")]})
    for position, row in enumerate(rows, start=1):
        kind, value = row.get("target_kind") or "", row.get("target_value")
        if bool(kind) != (value is not None):
            raise ValidationError(
                {"rows": [_("Row %(n)s: give both the kind of target and its value.") % {"n": position}]}
            )
        EvaluationRow.objects.create(
            evaluation=evaluation, indicator=row["indicator"], position=position, target_kind=kind, target_value=value
        )


@transaction.atomic
def evaluation_update(*, evaluation, user, rows=None, **fields):
    _require(user, MANAGE_PROJECT, evaluation.process.department_id)
    for name, value in fields.items():
        setattr(evaluation, name, value)
    _validate_periods(
        {n: getattr(evaluation, n) for n in ("baseline_start", "baseline_end", "evaluation_start", "evaluation_end")}
    )
    evaluation.full_clean()
    evaluation._history_user = user
    evaluation.save()
    if rows is not None:
        kept = {}
        for row in evaluation.rows.all():
            kept[row.indicator_id] = (row.override, row.override_reason, row.overridden_by_id, row.overridden_at)
        evaluation.rows.all().delete()
        _save_rows(evaluation, rows)
        for row in evaluation.rows.all():
            if row.indicator_id in kept and kept[row.indicator_id][0]:
                row.override, row.override_reason, row.overridden_by_id, row.overridden_at = kept[row.indicator_id]
                row.save()
    evaluation_compute(evaluation=evaluation)
    return evaluation


def evaluation_compute(*, evaluation: Evaluation) -> Evaluation:
    """(Re)compute before, after, change, p-value and verdict of every row from the data."""
    rows = list(evaluation.rows.select_related("indicator"))
    indicators = [row.indicator for row in rows]
    # every computed indicator of both periods in at most three aggregates (``selectors.computed_values_over``)
    befores, afters = selectors.indicator_values_over(
        indicators,
        evaluation.process_id,
        [
            (evaluation.baseline_start, evaluation.baseline_end),
            (evaluation.evaluation_start, evaluation.evaluation_end),
        ],
    )
    for row in rows:
        indicator = row.indicator
        before, after = befores[indicator.pk], afters[indicator.pk]
        p_value = None
        if before.value is not None and after.value is not None:
            p_value = significance(before=before, after=after, is_rate=indicator.is_rate)
        verdict, reason = judge(
            before=before,
            after=after,
            direction=indicator.direction,
            target_kind=row.target_kind,
            target_value=row.target_value,
            p_value=p_value,
        )
        row.before, row.after = before.value, after.value
        row.n_before, row.n_after = before.n, after.n
        row.change_rate = change_rate(before.value, after.value)
        row.p_value = p_value
        row.verdict, row.verdict_reason = verdict, reason
        row.save()
    return evaluation


@transaction.atomic
def evaluation_row_override(*, row: EvaluationRow, user, verdict: str, reason: str) -> EvaluationRow:
    """A manager's own verdict with a reason; the computed verdict is kept beside it."""
    _require(user, APPROVE_STANDARD, row.evaluation.process.department_id)
    if verdict and verdict not in Verdict.values:
        raise ValidationError({"verdict": [_("Choose one of the verdicts.")]})
    if verdict and not reason.strip():
        raise ValidationError({"reason": [_("Say why you override the computed verdict.")]})
    row.override = verdict
    row.override_reason = reason if verdict else ""
    row.overridden_by = user if verdict else None
    row.overridden_at = timezone.now() if verdict else None
    row._history_user = user
    row.save()
    return row


# Measurements
# ------------------------------------------------------------------------------
