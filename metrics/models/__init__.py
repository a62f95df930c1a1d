"""Tables of metrics, by topic: ``indicators`` (indicators and measurements), ``evaluation`` (effect
evaluations and their rows) and ``reviews`` (periodic reviews and their actions)."""

from .evaluation import Evaluation, EvaluationRow
from .indicators import Indicator, Measurement
from .reviews import Review, ReviewAction

__all__ = ["Evaluation", "EvaluationRow", "Indicator", "Measurement", "Review", "ReviewAction"]
