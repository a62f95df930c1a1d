"""The computed indicators: one declaration per computation, the registry every figure is counted from.

A declaration says which rows an indicator counts (``subject``: runs, or manual steps), which of them belong
to a period (``window``: finished in it, started in it, created in it, still open at its end) and what is
counted over them (``measure``: a mean with its standard deviation, a rate, a count). The aggregate terms are
written once, here; ``metrics.selectors.indicators`` runs them one aggregate per indicator
(``computed_value``, the reference) or grouped over many periods (``computed_values_over``: the effect table,
the API, reviews, rollout monitoring), and the dashboards group the same terms by week or by step.

A new computed indicator: a ``Computation`` member (``metrics/choices.py``, with its migration), one
``register(...)`` line below and, when every installation should have it, its seed row in
``metrics/services/indicators.py``. docs/development.md has the recipe.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from django.db.models import Count, FloatField, Q, Sum
from django.db.models.functions import Cast

from processes.choices import RunStatus, WorkStatus

from .choices import Computation, Source

HOUR = Decimal(3600)


@dataclass
class Value:
    """An indicator's value over a period, with what a significance test needs."""

    value: Decimal | None
    n: int | None = None  # observations (runs, steps, checks, cases)
    numerator: int | None = None  # for rates: the cases counted
    std: float | None = None  # for means: the sample standard deviation
    source: str = ""


def decimal_value(value, scale=Decimal(1)) -> Decimal | None:
    """A figure as stored and shown: four decimal places."""
    if value is None:
        return None
    return (Decimal(str(value)) / scale).quantize(Decimal("0.0001"))


def mean_value(n: int, total, squares, scale=HOUR) -> Value:
    """Mean and sample standard deviation from a count, a sum and a sum of squares."""
    if not n:
        return Value(None, 0, source=Source.COMPUTED)
    mean = Decimal(total) / Decimal(n)
    std = None
    if n > 1:
        variance = max(0.0, (squares - n * float(mean) ** 2) / (n - 1))
        std = math.sqrt(variance) / float(scale)
    return Value(decimal_value(mean, scale), n, std=std, source=Source.COMPUTED)


def rate_value(total: int, counted: int) -> Value:
    """``counted`` out of ``total`` in %."""
    if not total:
        return Value(None, 0, 0, source=Source.COMPUTED)
    return Value(decimal_value(Decimal(counted) * 100 / Decimal(total)), total, counted, source=Source.COMPUTED)


# What is counted
# ------------------------------------------------------------------------------


class Subject(Enum):
    """The rows an indicator counts: a process's runs, or its manual steps (work items of kind step)."""

    RUNS = "runs"
    STEPS = "steps"

    @property
    def done(self) -> str:
        return RunStatus.DONE if self is Subject.RUNS else WorkStatus.DONE

    @property
    def cancelled(self) -> str:
        return RunStatus.CANCELLED if self is Subject.RUNS else WorkStatus.CANCELLED


class Window(Enum):
    """Which of the subject's rows belong to a period [lo, hi)."""

    FINISHED = "finished"  # done, finished in the period
    STARTED = "started"  # started in the period, whatever became of them
    CREATED = "created"  # created in the period and not cancelled
    OPEN_AT_END = "open_at_end"  # created before the period's end, not cancelled, not finished by then

    def q(self, subject: Subject, lo, hi) -> Q:
        """The rows of ``subject`` in the window of the period [lo, hi) as a filter."""
        if self is Window.FINISHED:
            return Q(status=subject.done, finished_at__gte=lo, finished_at__lt=hi)
        if self is Window.STARTED:
            return Q(started_at__gte=lo, started_at__lt=hi)
        if self is Window.CREATED:
            return Q(created_at__gte=lo, created_at__lt=hi) & ~Q(status=subject.cancelled)
        return (
            Q(created_at__lt=hi) & ~Q(status=subject.cancelled) & (Q(finished_at__isnull=True) | Q(finished_at__gte=hi))
        )


Terms = dict[str, object]  # aggregate name -> expression (``Count``, ``Sum``...)


@dataclass(frozen=True)
class Mean:
    """The mean of a duration column in hours, with the sample standard deviation (sum of squares as floats:
    no integer overflow, and the same SQL on SQLite and PostgreSQL)."""

    column: str

    def terms(self) -> Terms:
        as_float = Cast(self.column, FloatField())
        return {
            f"{self.column}_n": Count(self.column),
            f"{self.column}_sum": Sum(self.column),
            f"{self.column}_squares": Sum(as_float * as_float),
        }

    def mean_terms(self) -> Terms:
        """The count and the sum only: enough for a mean without its deviation (the dashboards)."""
        return {name: term for name, term in self.terms().items() if not name.endswith("_squares")}

    def seconds(self, row: dict) -> float | None:
        """The mean in seconds from a row aggregated with ``mean_terms``; None without observations."""
        n = row[f"{self.column}_n"]
        return row[f"{self.column}_sum"] / n if n else None

    def value(self, total: Callable[[str], int | float]) -> Value:
        c = self.column
        return mean_value(total(f"{c}_n"), total(f"{c}_sum"), total(f"{c}_squares"))


@dataclass(frozen=True)
class Rate:
    """``counted`` out of ``total`` (each an aggregate term: name and expression), in %."""

    total: tuple[str, object]
    counted: tuple[str, object]

    def terms(self) -> Terms:
        return dict([self.total, self.counted])

    def value(self, total: Callable[[str], int | float]) -> Value:
        return rate_value(total(self.total[0]) or 0, total(self.counted[0]) or 0)


@dataclass(frozen=True)
class Tally:
    """How many rows: a figure without observations (no significance test)."""

    term: tuple[str, object]

    def terms(self) -> Terms:
        return dict([self.term])

    def value(self, total: Callable[[str], int | float]) -> Value:
        return Value(Decimal(total(self.term[0]) or 0), None, source=Source.COMPUTED)


@dataclass(frozen=True)
class ComputedIndicator:
    """One computation: its rows, their window in a period and the measure over them."""

    computation: str  # a ``Computation`` value (stored on ``Indicator.computation``)
    subject: Subject
    window: Window
    measure: Mean | Rate | Tally = field(compare=False)

    def terms(self) -> Terms:
        return self.measure.terms()

    def q(self, lo, hi) -> Q:
        """This indicator's rows in the period [lo, hi)."""
        return self.window.q(self.subject, lo, hi)

    def value(self, total: Callable[[str], int | float]) -> Value:
        """The figure from the sums of its terms (``total(name)``) over the rows of one period."""
        return self.measure.value(total)


# The terms shared by several declarations (the same name always means the same expression). The steps'
# terms count columns only, no ``id``: the finished steps are then read from ``work_process_done_idx``
# alone (docs/benchmarks.md).
ROWS = ("rows", Count("*"))
ON_TIME = ("on_time", Count("id", filter=Q(on_time=True)))  # runs
TIMED = ("timed", Count("on_time"))
PUNCTUAL = ("punctual", Count("on_time", filter=Q(on_time=True)))

REGISTRY: dict[str, ComputedIndicator] = {}


def register(computation: str, subject: Subject, window: Window, measure: Mean | Rate | Tally) -> ComputedIndicator:
    """Declare a computed indicator; its terms must not give another meaning to a name already declared."""
    if computation in REGISTRY:
        raise ValueError(f"computation {computation!r} is declared twice")
    declared = ComputedIndicator(computation, subject, window, measure)
    for other in REGISTRY.values():
        for name, expression in declared.terms().items():
            if other.subject == subject and other.terms().get(name, expression) != expression:
                raise ValueError(f"term {name!r} of {computation!r} differs from the one of {other.computation!r}")
    REGISTRY[computation] = declared
    return declared


def get(computation: str) -> ComputedIndicator:
    try:
        return REGISTRY[computation]
    except KeyError:
        raise ValueError(f"unknown computation {computation!r}") from None


# The declarations
# ------------------------------------------------------------------------------

# fmt: off
CYCLE_TIME = register(Computation.CYCLE_TIME, Subject.RUNS, Window.FINISHED, Mean("cycle_seconds"))
STEP_TIME = register(Computation.STEP_TIME, Subject.STEPS, Window.FINISHED, Mean("duration_seconds"))
WAITING_TIME = register(Computation.WAITING_TIME, Subject.STEPS, Window.FINISHED, Mean("waiting_seconds"))
WORKING_TIME = register(Computation.WORKING_TIME, Subject.STEPS, Window.FINISHED, Mean("working_seconds"))
ON_TIME_RATE = register(Computation.ON_TIME_RATE, Subject.STEPS, Window.FINISHED, Rate(TIMED, PUNCTUAL))
RUN_ON_TIME_RATE = register(Computation.RUN_ON_TIME_RATE, Subject.RUNS, Window.FINISHED, Rate(ROWS, ON_TIME))
ESCALATION_RATE = register(
    Computation.ESCALATION_RATE, Subject.STEPS, Window.CREATED,
    Rate(ROWS, ("escalated", Count("escalation_level", filter=Q(escalation_level__gt=0)))),
)
EXCEPTION_RATE = register(
    Computation.EXCEPTION_RATE, Subject.RUNS, Window.STARTED,
    Rate(ROWS, ("exceptions", Count("id", filter=Q(has_exception=True)))),
)
ERROR_RATE = register(
    Computation.ERROR_RATE, Subject.STEPS, Window.FINISHED,
    Rate(("checks", Sum("checks_total")), ("checks_failed", Sum("checks_failed"))),
)
THROUGHPUT = register(Computation.THROUGHPUT, Subject.RUNS, Window.FINISHED, Tally(ROWS))
BACKLOG = register(Computation.BACKLOG, Subject.STEPS, Window.OPEN_AT_END, Tally(ROWS))
# fmt: on
