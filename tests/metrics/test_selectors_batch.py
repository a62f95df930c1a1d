"""``selectors.computed_values`` (every computed indicator of a period in a few aggregates) gives
exactly what ``selectors.computed_value`` (one aggregate per indicator, the reference) gives."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics import selectors, services
from metrics.choices import Computation, Source
from metrics.models import Evaluation, Indicator
from opsflow import demo
from pilots.models import PilotRun
from processes.models import Process
from processes.services import work

pytestmark = pytest.mark.django_db


def _computed():
    return list(Indicator.objects.filter(source=Source.COMPUTED).order_by("code"))


def _assert_batch_equals_reference(indicators, process_id, start, end, run_ids=None):
    batch = selectors.computed_values(indicators, process_id, start, end, run_ids=run_ids)
    assert set(batch) == {i.pk for i in indicators}
    for indicator in indicators:
        reference = selectors.computed_value(indicator, process_id, start, end, run_ids=run_ids)
        assert _same(batch[indicator.pk], reference), indicator.code


def _same(value, reference) -> bool:
    """Equal figures; the standard deviation (a float summed per group in the batch) to 1e-9."""
    if value.std is None or reference.std is None:
        return value == reference
    return replace(value, std=None) == replace(reference, std=None) and value.std == pytest.approx(
        reference.std, rel=1e-9
    )


def test_every_computation_is_covered_by_the_demo_indicators(org):
    demo.load_processes()
    demo.load_metrics()
    assert {i.computation for i in _computed()} == set(Computation.values)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 3, 10), date(2026, 3, 10)),  # the day of the runs
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 3, 11), date(2026, 3, 31)),  # after: only the backlog counts
        (date(2025, 1, 1), date(2025, 12, 31)),  # before: empty
    ],
)
def test_known_runs_batch_equals_one_aggregate_per_indicator(known_runs, start, end):
    version, run_a, _run_b = known_runs
    demo.load_metrics()
    indicators = _computed()
    _assert_batch_equals_reference(indicators, version.process_id, start, end)
    # a subset of the runs (as a pilot's arm narrows them)
    _assert_batch_equals_reference(indicators, version.process_id, start, end, run_ids=[run_a.pk])


def test_known_runs_batch_gives_the_hand_computed_values(known_runs):
    version, _a, _b = known_runs
    demo.load_metrics()
    indicators = _computed()
    batch = selectors.computed_values(indicators, version.process_id, date(2026, 3, 10), date(2026, 3, 10))
    values = {i.code: batch[i.pk] for i in indicators}
    assert (values["waiting-time"].n, str(values["waiting-time"].value)) == (4, "0.8750")
    assert (values["on-time-rate"].n, values["on-time-rate"].numerator) == (4, 3)
    assert (values["error-rate"].n, values["error-rate"].numerator, str(values["error-rate"].value)) == (
        8,
        5,
        "62.5000",
    )
    assert (values["cycle-time"].n, str(values["cycle-time"].value)) == (1, "2.5000")
    assert str(values["backlog"].value) == "1" and str(values["throughput"].value) == "1"


def test_demo_world_batch_equals_reference_for_every_process_period_and_pilot_arm(org):
    demo.load_all()
    indicators = _computed()
    today = timezone.localdate()
    periods = [(today - timedelta(days=364), today), (today - timedelta(days=30), today), (today, today)]
    for process in Process.objects.all():
        for start, end in periods:
            _assert_batch_equals_reference(indicators, process.pk, start, end)
    for link in PilotRun.objects.values("pilot_id", "arm").distinct():
        run_ids = PilotRun.objects.filter(**link).values("run_id")
        for process in Process.objects.all():
            _assert_batch_equals_reference(indicators, process.pk, today - timedelta(days=364), today, run_ids=run_ids)


def test_batch_runs_three_aggregates_for_all_computed_indicators(known_runs):
    version, _a, _b = known_runs
    demo.load_metrics()
    indicators = _computed()
    with CaptureQueriesContext(connection) as queries:
        selectors.computed_values(indicators, version.process_id, date(2026, 3, 1), date(2026, 3, 31))
    assert len(queries) == 3  # the period's runs; its finished steps; its created and open steps


def test_indicator_values_keep_the_fallback_to_measurements(org):
    demo.load_all()
    evaluation = Evaluation.objects.first()
    indicators = list(Indicator.objects.order_by("code"))
    periods = [
        (evaluation.baseline_start, evaluation.baseline_end),
        (evaluation.evaluation_start, evaluation.evaluation_end),
    ]
    batches = selectors.indicator_values_over(indicators, evaluation.process_id, periods)
    for (start, end), batch in zip(periods, batches, strict=True):
        for indicator in indicators:
            assert batch[indicator.pk] == selectors.indicator_value(indicator, evaluation.process_id, start, end)


def test_evaluation_compute_rows_equal_the_per_indicator_path(org):
    demo.load_all()
    evaluation = Evaluation.objects.first()
    services.evaluation_compute(evaluation=evaluation)
    for row in evaluation.rows.select_related("indicator"):
        before = selectors.indicator_value(
            row.indicator, evaluation.process_id, evaluation.baseline_start, evaluation.baseline_end
        )
        after = selectors.indicator_value(
            row.indicator, evaluation.process_id, evaluation.evaluation_start, evaluation.evaluation_end
        )
        assert (row.before, row.after, row.n_before, row.n_after) == (before.value, after.value, before.n, after.n)


@pytest.mark.parametrize(
    "periods",
    [
        [(-364, -121), (-120, 0)],  # an effect table: 8 months before against the 4 since
        [(-120, 0), (-364, -121)],  # the same, given in the other order
        [(-200, -30), (-60, 0)],  # overlapping
        [(-30, 0), (-30, 0)],  # the same period twice
        [(-364, -300), (-10, -5), (-1, 0)],  # three disjoint periods
    ],
)
def test_several_periods_in_one_batch_equal_the_reference(org, periods):
    demo.load_all()
    indicators = _computed()
    today = timezone.localdate()
    dated = [(today + timedelta(days=a), today + timedelta(days=b)) for a, b in periods]
    for process in Process.objects.all():
        with CaptureQueriesContext(connection) as queries:
            batches = selectors.computed_values_over(indicators, process.pk, dated)
        assert len(queries) == 3  # runs, finished steps, open steps: whatever the number of periods
        for (start, end), batch in zip(dated, batches, strict=True):
            for indicator in indicators:
                reference = selectors.computed_value(indicator, process.pk, start, end)
                assert _same(batch[indicator.pk], reference), (indicator.code, start, end)


def test_every_step_of_a_run_knows_its_process(known_runs, users):
    """Effect tables read a process's steps by ``WorkItem.process``: steps, exception follow-ups and
    work stored from another system's events all carry their run's process."""
    from processes.models import ExceptionPlan, WorkItem

    version, run_a, run_b = known_runs
    item = run_b.items.get(position=3)
    plan = ExceptionPlan.objects.filter(version=version).first()
    work.item_claim(item=item, user=users["warehouse"])
    follow_up = work.exception_report(item=item, user=users["warehouse"], plan=plan, note="damaged")
    assert follow_up.process_id == version.process_id
    steps = WorkItem.objects.filter(run__isnull=False)
    assert steps.count() == 8  # run a: 4 steps; run b: 3 so far; the follow-up
    assert set(steps.values_list("process_id", flat=True)) == {version.process_id}
    # saved without it (older code paths, a shell): filled from the run
    bare = WorkItem.objects.create(
        run=run_a, kind="step", title_en="x", department=item.department, created_at=timezone.now()
    )
    assert bare.process_id == version.process_id
