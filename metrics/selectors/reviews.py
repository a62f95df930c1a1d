"""Read side of periodic reviews: the reviews a user sees and the figures of their goals."""

from __future__ import annotations

from dataclasses import dataclass

from processes import access

from ..choices import Direction, TargetKind
from ..models import Review
from .indicators import indicator_value


def review_list(*, user):
    qs = Review.objects.select_related("project", "project__department", "work_item", "closed_by")
    return access.scope_queryset(user, qs, field="project__department")


@dataclass
class GoalFigure:
    goal: object
    value: object  # selectors.Value for the review period
    reached: bool | None


def goal_figures(review: Review) -> list[GoalFigure]:
    """The project's goals with their indicator over the review period, against baseline and target."""
    rows = []
    for goal in review.project.goals.select_related("indicator", "process"):
        value = None
        if goal.process_id:
            value = indicator_value(goal.indicator, goal.process_id, review.period_start, review.period_end)
        rows.append(GoalFigure(goal, value, _reached(goal, value)))
    return rows


def _reached(goal, value) -> bool | None:
    if value is None or value.value is None:
        return None
    lower = goal.indicator.direction == Direction.LOWER
    if goal.target_kind == TargetKind.RELATIVE:
        if not goal.baseline_value:
            return None
        change = (value.value - goal.baseline_value) * 100 / goal.baseline_value
        return change <= goal.target_value if lower else change >= goal.target_value
    return value.value <= goal.target_value if lower else value.value >= goal.target_value
