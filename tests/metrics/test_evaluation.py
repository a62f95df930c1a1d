from datetime import date
from decimal import Decimal

import pytest

from metrics import demo as metrics_demo
from metrics import selectors, services
from metrics.choices import Verdict
from metrics.models import Evaluation, Indicator
from metrics.selectors import Value
from processes import demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(org):
    demo.load_processes()
    metrics_demo.load()
    return Evaluation.objects.get()


def test_the_seed_template_4_comes_out_exactly(seed):
    rows = {row.indicator.code: row for row in seed.rows.select_related("indicator")}
    assert [(rows[c].before, rows[c].after) for c in ("cycle-time", "error-rate", "complaint-rate")] == [
        (Decimal("7"), Decimal("4")),
        (Decimal("3"), Decimal("0.8")),
        (Decimal("12"), Decimal("8")),
    ]
    assert [f"{rows[c].change_rate * 100:.2f}" for c in ("cycle-time", "error-rate", "complaint-rate")] == [
        "-42.86",
        "-73.33",
        "-33.33",
    ]
    assert rows["cycle-time"].verdict == Verdict.REACHED
    assert rows["error-rate"].verdict == Verdict.FAR_EXCEEDED
    assert rows["complaint-rate"].verdict == Verdict.KEEP_TRACKING
    assert rows["complaint-rate"].verdict_reason == "not_significant"
    assert "not statistically significant" in services.reason_text("not_significant", rows["complaint-rate"].p_value)


def test_the_seed_table_page_and_api(seed, client, api, users):
    client.force_login(users["manager"])
    html = client.get(f"/metrics/evaluations/{seed.pk}/").content.decode()
    assert "↓ 42.86%" in html and "↓ 73.33%" in html and "↓ 33.33%" in html
    body = api(users["manager"]).get(f"/api/v1/metrics/evaluations/{seed.pk}/").json()
    assert [
        (r["indicator_code"], r["before"], r["after"], r["change_rate_percent"], r["verdict"]) for r in body["rows"]
    ] == [
        ("cycle-time", "7.0000", "4.0000", "-42.86", "reached"),
        ("error-rate", "3.0000", "0.8000", "-73.33", "far_exceeded"),
        ("complaint-rate", "12.0000", "8.0000", "-33.33", "keep_tracking"),
    ]


def _v(value, n=None, k=None, std=None):
    return Value(Decimal(value) if value is not None else None, n, k, std)


@pytest.mark.parametrize(
    ("after", "kind", "target", "direction", "expected"),
    [
        ("4", "absolute", "4", "lower", Verdict.REACHED),  # exactly on the bound
        ("4.01", "absolute", "4", "lower", Verdict.NOT_REACHED),
        ("3.2", "absolute", "4", "lower", Verdict.FAR_EXCEEDED),  # 20 % better than the bound
        ("3.21", "absolute", "4", "lower", Verdict.REACHED),
        ("5.6", "relative", "-20", "lower", Verdict.REACHED),  # 7 h cut by exactly 20 %
        ("5.61", "relative", "-20", "lower", Verdict.NOT_REACHED),
        ("4.48", "relative", "-20", "lower", Verdict.FAR_EXCEEDED),  # bound 5.6, far at 4.48
        ("99", "absolute", "99", "higher", Verdict.REACHED),
        ("98.9", "absolute", "99", "higher", Verdict.NOT_REACHED),
        ("118.8", "absolute", "99", "higher", Verdict.FAR_EXCEEDED),
        ("4", "", None, "lower", Verdict.KEEP_TRACKING),  # no target
    ],
)
def test_each_verdict_rule_on_both_sides_of_its_threshold(after, kind, target, direction, expected):
    verdict, _reason = services.judge(
        before=_v("7"),
        after=_v(after),
        direction=direction,
        target_kind=kind,
        target_value=Decimal(target) if target else None,
        p_value=None,
    )
    assert verdict == expected


def test_too_few_observations_keep_tracking():
    verdict, reason = services.judge(
        before=_v("7", n=29),
        after=_v("3", n=500),
        direction="lower",
        target_kind="absolute",
        target_value=Decimal("4"),
        p_value=0.001,
    )
    assert verdict == Verdict.KEEP_TRACKING and reason == "too_few"
    verdict, _ = services.judge(
        before=_v("7", n=30),
        after=_v("3", n=30),
        direction="lower",
        target_kind="absolute",
        target_value=Decimal("4"),
        p_value=0.001,
    )
    assert verdict == Verdict.FAR_EXCEEDED


def test_a_small_noisy_sample_is_not_significant():
    # durations: 40 runs each side, means 7 h and 6 h, but a standard deviation of 5 h
    p = services.significance(before=_v("7", n=40, std=5.0), after=_v("6", n=40, std=5.0), is_rate=False)
    assert 0.3 < p < 0.4
    verdict, _ = services.judge(
        before=_v("7", n=40),
        after=_v("6", n=40),
        direction="lower",
        target_kind="relative",
        target_value=Decimal("-10"),
        p_value=p,
    )
    assert verdict == Verdict.KEEP_TRACKING
    # the same means with little spread are significant
    p = services.significance(before=_v("7", n=40, std=0.5), after=_v("6", n=40, std=0.5), is_rate=False)
    assert p < 0.001
    # rates: 12 of 100 against 8 of 100 is noise; 30 of 1000 against 8 of 1000 is not
    assert services.significance(before=_v("12", 100, 12), after=_v("8", 100, 8), is_rate=True) > 0.3
    assert services.significance(before=_v("3", 1000, 30), after=_v("0.8", 1000, 8), is_rate=True) < 0.001


def test_a_manager_overrides_a_verdict_and_both_are_kept(seed, users):
    row = seed.rows.get(indicator__code="complaint-rate")
    with pytest.raises(Exception, match="why"):
        services.evaluation_row_override(row=row, user=users["manager"], verdict="reached", reason=" ")
    services.evaluation_row_override(row=row, user=users["manager"], verdict="reached", reason="Survey confirms it.")
    row.refresh_from_db()
    assert (row.verdict, row.override, row.final_verdict) == ("keep_tracking", "reached", "reached")
    assert row.overridden_by == users["manager"]


def test_indicators_computed_from_known_runs_equal_hand_computed_values(known_runs):
    version, _run_a, _run_b = known_runs

    def value(code, start=date(2026, 3, 10), end=date(2026, 3, 10)):
        indicator = Indicator.objects.get(code=code)
        return selectors.computed_value(indicator, version.process_id, start, end)

    # finished manual steps: A review (waited 0.5 h, worked 1 h), A stock and A hand-off (completed
    # without claiming: waited 0.5 h each, worked 0), B review (waited 2 h, worked 1 h, late)
    waiting = value("waiting-time")
    assert (waiting.n, waiting.value) == (4, Decimal("0.8750"))  # (0.5 + 0.5 + 0.5 + 2) / 4
    working = value("working-time")
    assert working.value == Decimal("0.5000")  # (1 + 0 + 0 + 1) / 4
    on_time = value("on-time-rate")
    assert (on_time.n, on_time.numerator, on_time.value) == (4, 3, Decimal("75.0000"))
    errors = value("error-rate")  # checks: A review 3 ticked; A stock 1 and hand-off 1 not ticked; B review 0 of 3
    assert (errors.n, errors.numerator, errors.value) == (8, 5, Decimal("62.5000"))
    cycle = value("cycle-time")
    assert (cycle.n, cycle.value) == (1, Decimal("2.5000"))
    assert value("backlog").value == Decimal("1")  # run B's stock step is still open at the end of the day
    assert value("throughput").value == Decimal("1")
    assert value("run-on-time-rate").value == Decimal("100.0000")


def test_dashboards_render_for_an_empty_database_and_for_the_demo(client, users, org):
    client.force_login(users["manager"])
    for path in ("/metrics/", "/metrics/process/"):
        assert client.get(path).status_code == 200
    from opsflow.demo import load_all

    load_all()
    from processes.models import Process

    complaint = Process.objects.get(code="complaint-handling").pk
    for path in ("/metrics/", "/metrics/process/", f"/metrics/process/?process={complaint}&bucket=2"):
        response = client.get(path)
        assert response.status_code == 200 and "data-chart" in response.content.decode()
    page = client.get("/metrics/process/").content.decode()
    assert "Waiting and working time per step" in page and "Sales reviews the order" in page
