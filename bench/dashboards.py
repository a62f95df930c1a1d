"""The effect table and the dashboards over 1,000,000 task rows: each must answer in under 500 ms
(design section 8). Prints a table of figures and exits non-zero when one is slower.

Usage (PostgreSQL, the real target; the database is created if missing and migrated):
    DATABASE_URL=postgres://opsflow:opsflow@127.0.0.1:5432/opsflow_bench python -m bench.dashboards
With no DATABASE_URL it runs on SQLite in ``var/bench_dashboards.sqlite3``.

The first call seeds the database with ``bench.generate`` (the demo world, more people, ``--items``
work items with their runs over the last year; see there). Later calls reuse the seed (``--reseed``
starts again). Then every measured function runs once to warm up and ``--repeat`` times timed; the
median counts. The last line states the machine's reference (``bench.reference``, pgbench).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import timedelta

from bench import generate, reference
from bench.common import timed

LIMIT_MS = 500
BENCH_TITLE = "Benchmark: the last 4 months against the 8 before"
SEED_TITLE = "Benchmark: the seed's template 4 indicators"
SEED_CODES = ("cycle-time", "error-rate", "complaint-rate")  # the seed's example effect table


def setup_django() -> None:
    generate.setup_django("bench_dashboards.sqlite3")


def unseed() -> None:
    """The generated rows and this script's evaluations."""
    from metrics.models import Evaluation

    generate.unseed()
    Evaluation.objects.filter(title__in=[BENCH_TITLE, SEED_TITLE]).delete()


def bench_evaluation(title: str = BENCH_TITLE, codes: tuple[str, ...] | None = None):
    """An effect evaluation of order processing over every computed indicator (or those of
    ``codes``): the 8 months before version 3 against the 4 months since."""
    from django.utils import timezone

    from metrics import services
    from metrics.models import Evaluation, Indicator
    from processes.models import Process, User

    evaluation = Evaluation.objects.filter(title=title).first()
    if evaluation is not None:
        return evaluation
    indicators = Indicator.objects.filter(code__in=codes) if codes else Indicator.objects.filter(source="computed")
    today = timezone.localdate()
    return services.evaluation_create(
        user=User.objects.get(username="director"),
        process=Process.objects.get(code="order-processing"),
        title=title,
        baseline_start=today - timedelta(days=364),
        baseline_end=today - timedelta(days=121),
        evaluation_start=today - timedelta(days=120),
        evaluation_end=today,
        rows=[
            {"indicator": indicator, "target_kind": "", "target_value": None}
            for indicator in indicators.order_by("code")
        ],
    )


# Timing
# ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="work items (task rows) to seed")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each function (median counts)")
    parser.add_argument("--reseed", action="store_true", help="delete the benchmark rows and seed again")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated data")
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from metrics import services
    from metrics.selectors import dashboards
    from pilots.models import Pilot
    from pilots.selectors.dashboards import pilot_dashboard
    from processes.models import Department, Process, Run, User, WorkItem

    if args.reseed:
        unseed()
    generate.ensure_seeded(items=args.items, seed_value=args.seed)
    evaluation = bench_evaluation()
    seed_evaluation = bench_evaluation(SEED_TITLE, SEED_CODES)
    total_items = WorkItem.objects.count()
    translation.activate("en")

    director, manager = User.objects.get(username="director"), User.objects.get(username="manager")
    order = Process.objects.get(code="order-processing").pk
    sales = Department.objects.get(code="sales").pk
    pilot = Pilot.objects.get(name_en="Regional sales team pilot").pk
    cases = [
        (
            f"effect table: compute {evaluation.rows.count()} indicators x 2 periods",
            lambda: services.evaluation_compute(evaluation=evaluation),
        ),
        (
            "effect table: the seed's 3 indicators (cycle time, errors, complaints)",
            lambda: services.evaluation_compute(evaluation=seed_evaluation),
        ),
    ]
    for user in (director, manager):
        cases += [
            (f"overview, {user.username}, last 12 weeks", lambda u=user: dashboards.overview(user=u, params={})),
            (
                f"overview, {user.username}, 12 months, Sales, order processing",
                lambda u=user: dashboards.overview(
                    user=u, params={"days": "365", "department": str(sales), "process": str(order)}
                ),
            ),
            (
                f"process dashboard, {user.username}, order processing, 12 months",
                lambda u=user: dashboards.process_dashboard(user=u, params={"process": str(order)}),
            ),
            (
                f"process dashboard, {user.username}, order processing, 6 months, Sales",
                lambda u=user: dashboards.process_dashboard(
                    user=u, params={"process": str(order), "days": "182", "department": str(sales)}
                ),
            ),
            (
                f"pilot dashboard, {user.username}",
                lambda u=user: pilot_dashboard(user=u, params={"pilot": str(pilot)}),
            ),
        ]
    client = Client(SERVER_NAME="localhost")
    generate.log_in(client, director)
    pages = [
        ("page /metrics/ (director)", "/metrics/"),
        ("page /metrics/process/ (director)", f"/metrics/process/?process={order}"),
        ("page /metrics/pilot/ (director)", f"/metrics/pilot/?pilot={pilot}"),
        ("page effect table (stored rows)", f"/metrics/evaluations/{evaluation.pk}/"),
        ("export one chart as XLSX", f"/metrics/charts/process/step-time.xlsx?process={order}"),
    ]
    for name, path in pages:
        cases.append((name, lambda p=path: client.get(p)))

    print(f"\ndatabase: {connection.vendor}; work items: {total_items:,}; runs: {Run.objects.count():,}")
    print(f"{'what':<72} {'median':>9} {'min':>9} {'max':>9}")
    slow = []
    for name, function in cases:
        durations = timed(function, args.repeat)
        median = statistics.median(durations)
        flag = "  SLOW" if median > LIMIT_MS else ""
        print(f"{name:<72} {median:>6.1f} ms {min(durations):>6.1f} ms {max(durations):>6.1f} ms{flag}", flush=True)
        if median > LIMIT_MS:
            slow.append(name)
    if slow:
        print(f"\n{len(slow)} above {LIMIT_MS} ms: " + "; ".join(slow))
        print(f"load average {reference.load()}; {reference.line()}")
        return 1
    print(f"\nevery figure under {LIMIT_MS} ms; load average {reference.load()}; {reference.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
