"""The inbox of a user with 1,000,000 task rows in the database: p95 must stay under 50 ms (design
section 8), and the inbox queries must use indexes (no sequential scan of the work items).

Usage (PostgreSQL, the real target; the database is created if missing, migrated and seeded once
by ``bench.generate``, then reused; ``bench.dashboards`` can share it):
    DATABASE_URL=postgres://opsflow:opsflow@127.0.0.1:5432/bench_gen python -m bench.inbox --requests 200

For each typical user (a clerk of Sales, a clerk of Customer Service, the manager heading Sales,
Warehouse and Logistics, the operations director who sees every department) it measures, after one
warm-up call, ``--requests`` times each:
- the selector as the inbox page calls it: the user read again (as a request does), then
  ``processes.selectors.inbox_page(user=...)`` (the first 500 rows of ``inbox_list``);
- the full page ``/work/`` through Django (session, middleware, template);
- the REST list ``/api/v1/work/items/?inbox=true`` (50 a page, cursor pagination) with the session.
and prints p50/p95/max. Then it prints ``EXPLAIN (ANALYZE, BUFFERS)`` of every query on the work
items that the page, the REST list and the home page's counts run (PostgreSQL only) and fails when
one of them reads ``processes_workitem`` with a sequential scan, or walks an index filtering more
than 10,000 rows away (the same cost under another name). Exits non-zero when a p95 is at or
above 50 ms or a plan scans the table.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys

from bench import generate, reference
from bench.common import timed

LIMIT_MS = 50
MAX_FILTERED = 10_000  # rows a plan may read and throw away
USERS = (
    ("clerk, Sales (ops staff)", "sales"),
    ("clerk, Customer Service (ops staff)", f"{generate.PEOPLE_PREFIX}customer-service-1"),
    ("manager of Sales, Warehouse, Logistics", "manager"),
    ("operations director (every department)", "director"),
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def work_item_queries(function) -> list[str]:
    """The SQL of every query on the work items that ``function`` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        function()
    return [q["sql"] for q in captured.captured_queries if "processes_workitem" in q["sql"]]


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [row[0] for row in cursor.fetchall()]


def uses_indexes(plan: list[str]) -> bool:
    """No sequential scan of the work items, and no scan anywhere that filters 10,000 rows away."""
    if any("Seq Scan on processes_workitem" in line for line in plan):
        return False
    removed = [int(m.group(1)) for line in plan if (m := re.search(r"Rows Removed by Filter: (\d+)", line))]
    return max(removed, default=0) <= MAX_FILTERED


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="work items (task rows) to seed")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per user and path")
    parser.add_argument("--reseed", action="store_true", help="delete the generated rows and seed again")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated data")
    parser.add_argument("--no-explain", action="store_true", help="skip printing the plans (still checked)")
    args = parser.parse_args()
    generate.setup_django("bench_inbox.sqlite3")
    generate.ensure_seeded(items=args.items, seed_value=args.seed, reseed=args.reseed)

    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from processes import selectors
    from processes.models import User, WorkItem
    from processes.models.work import OPEN_STATUSES

    translation.activate("en")
    total = WorkItem.objects.count()
    open_total = WorkItem.objects.filter(status__in=OPEN_STATUSES).count()
    print(f"\ndatabase: {connection.vendor}; work items: {total:,} ({open_total:,} open); load {reference.load()}")
    print(f"{'user':<42} {'path':<34} {'items':>6} {'p50':>9} {'p95':>9} {'max':>9}")
    slow, scans, results = [], [], []
    plans: list[tuple[str, str, list[str]]] = []
    for label, username in USERS:
        user = User.objects.get(username=username)
        client = Client(SERVER_NAME="localhost")
        generate.log_in(client, user)
        size = len(selectors.inbox_page(user=user))

        def selector(pk=user.pk):
            return selectors.inbox_page(user=User.objects.get(pk=pk))

        def page(client=client):
            response = client.get("/work/")
            assert response.status_code == 200, response.status_code
            return response

        def api(client=client):
            response = client.get("/api/v1/work/items/?inbox=true", HTTP_ACCEPT="application/json")
            assert response.status_code == 200, response.status_code
            return response

        def home(client=client):
            response = client.get("/")
            assert response.status_code == 200, response.status_code
            return response

        for name, function in (
            ("selector inbox_page()", selector),
            ("page /work/", page),
            ("REST ?inbox=true", api),
        ):
            durations = timed(function, args.requests)
            p50, p95 = statistics.median(durations), percentile(durations, 0.95)
            flag = "  SLOW" if p95 >= LIMIT_MS else ""
            print(
                f"{label:<42} {name:<34} {size:>6} {p50:>6.1f} ms {p95:>6.1f} ms {max(durations):>6.1f} ms{flag}",
                flush=True,
            )
            results.append((label, name, p50, p95))
            if p95 >= LIMIT_MS:
                slow.append(f"{label}: {name}")
        if connection.vendor == "postgresql":
            for name, function in (("page /work/", page), ("REST ?inbox=true", api), ("home page counts", home)):
                for sql in work_item_queries(function):
                    plan = explain(sql)
                    plans.append((f"{label}, {name}", sql, plan))
                    if not uses_indexes(plan):
                        scans.append(f"{label}, {name}")

    if plans and not args.no_explain:
        print("\nPlans of the inbox queries (EXPLAIN (ANALYZE, BUFFERS)):")
        for where, sql, plan in plans:
            print(f"\n-- {where}\n{sql}")
            print("\n".join("   " + line for line in plan))
    worst = max(results, key=lambda r: r[3])
    print(
        f"\ninbox p95 = {worst[3]:.1f} ms at worst ({worst[0]}, {worst[1]}); {len(plans)} plans checked; "
        f"load average {reference.load()}; {reference.line()}"
    )
    failed = False
    if scans:
        print("sequential or filtering scan of processes_workitem in: " + "; ".join(sorted(set(scans))))
        failed = True
    if slow:
        print(f"p95 at or above {LIMIT_MS} ms: " + "; ".join(slow))
        failed = True
    if not failed:
        print(f"every p95 under {LIMIT_MS} ms and every plan on indexes")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
