"""Write side of metrics, by topic: ``indicators`` (the seed catalogue, measurements), ``evaluation`` (effect
evaluations and their verdicts) and ``reviews`` (periodic reviews: import that one as a module)."""

from .evaluation import (
    change_rate,
    evaluation_compute,
    evaluation_create,
    evaluation_row_override,
    evaluation_update,
    judge,
    reason_text,
    significance,
    target_bound,
)
from .indicators import ensure_seed_indicators, indicator_for_code, measurement_upsert, measurements_import

__all__ = [
    "change_rate",
    "ensure_seed_indicators",
    "evaluation_compute",
    "evaluation_create",
    "evaluation_row_override",
    "evaluation_update",
    "indicator_for_code",
    "judge",
    "measurement_upsert",
    "measurements_import",
    "reason_text",
    "significance",
    "target_bound",
]
