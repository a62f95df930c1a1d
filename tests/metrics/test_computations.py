"""The computed-indicator registry (``metrics.computations``): one declaration per computation, which the
one-aggregate reference, the batched effect table and the dashboards all count from."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum

from metrics import computations, selectors
from metrics.choices import Computation, Source
from metrics.computations import Mean, Rate, Subject, Tally, Window
from metrics.models import Indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    """The registry as declared, restored after the test (a test may declare more)."""
    monkeypatch.setattr(computations, "REGISTRY", dict(computations.REGISTRY))
    return computations.REGISTRY


def test_every_computation_has_exactly_one_declaration():
    assert set(computations.REGISTRY) == set(Computation.values)
    for code, declared in computations.REGISTRY.items():
        assert declared.computation == code


def test_a_computation_is_declared_once(registry):
    with pytest.raises(ValueError, match="declared twice"):
        computations.register(Computation.THROUGHPUT, Subject.RUNS, Window.FINISHED, Tally(computations.ROWS))


def test_a_term_name_keeps_one_meaning_per_subject(registry):
    # "checks" is the steps' Sum("checks_total"): another expression under that name would mix the sums
    with pytest.raises(ValueError, match="'checks'"):
        computations.register(
            "checks_failed_total", Subject.STEPS, Window.FINISHED, Tally(("checks", Sum("checks_failed")))
        )
    # the same name on the runs is another table: allowed
    computations.register("runs_with_checks", Subject.RUNS, Window.STARTED, Tally(("checks", Count("id"))))


def test_an_unknown_computation_is_refused():
    indicator = Indicator(code="x", source=Source.COMPUTED, computation="nothing_like_it")
    with pytest.raises(ValueError, match="unknown computation 'nothing_like_it'"):
        selectors.computed_value(indicator, 1, date(2026, 3, 10), date(2026, 3, 10))


def test_a_new_declaration_is_counted_by_the_reference_and_the_batch_alike(registry, known_runs):
    version, _run_a, _run_b = known_runs
    computations.register(
        "late_steps", Subject.STEPS, Window.FINISHED, Tally(("late", Count("on_time", filter=Q(on_time=False))))
    )
    computations.register("mean_wait", Subject.STEPS, Window.CREATED, Mean("waiting_seconds"))
    computations.register(
        "run_exceptions",
        Subject.RUNS,
        Window.STARTED,
        Rate(computations.ROWS, ("exceptions", Count("id", filter=Q(has_exception=True)))),
    )
    indicators = [
        Indicator(pk=n, code=code, source=Source.COMPUTED, computation=code)
        for n, code in enumerate(["late_steps", "mean_wait", "run_exceptions"], start=1)
    ]
    day = date(2026, 3, 10)
    batch = selectors.computed_values(indicators, version.process_id, day, day)
    for indicator in indicators:
        reference = selectors.computed_value(indicator, version.process_id, day, day)
        assert batch[indicator.pk].value == reference.value, indicator.code
        assert batch[indicator.pk].n == reference.n, indicator.code
    # run B's review finished late (3 h > 2 h): the one late step of the day
    assert batch[1].value == Decimal(1)
    assert (batch[3].n, batch[3].numerator) == (2, 0)  # two runs started, no exception reported
