"""Read side of metrics, by topic: ``indicators`` (values per process and period, from the computed-indicator
registry in ``metrics.computations`` or the measurements), ``evaluation``, ``reviews`` and ``dashboards``
(import that one as a module: it builds figures)."""

from .evaluation import effect_rows, evaluation_get, evaluation_list, target_text
from .indicators import (
    Value,
    computed_value,
    computed_values,
    computed_values_over,
    indicator_value,
    indicator_values_over,
    measured_value,
    measurement_list,
    period_bounds,
)
from .reviews import GoalFigure, goal_figures, review_list

__all__ = [
    "GoalFigure",
    "Value",
    "computed_value",
    "computed_values",
    "computed_values_over",
    "effect_rows",
    "evaluation_get",
    "evaluation_list",
    "goal_figures",
    "indicator_value",
    "indicator_values_over",
    "measured_value",
    "measurement_list",
    "period_bounds",
    "review_list",
    "target_text",
]
