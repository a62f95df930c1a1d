"""Step completions per second and queries per completion, through the service layer and the REST API.

Usage (PostgreSQL, the real target):
    DATABASE_URL=postgres://... python -m bench.completions --runs 2000
With no DATABASE_URL it runs on a throwaway SQLite file. It creates its own database from scratch
(``bench_`` prefix), seeds the demo organisation and standards, starts ``--runs`` order runs, then
completes their review steps (one completion each), first through the services, then through
``/api/v1/work/items/{id}/complete/`` with token authentication (DRF, permission checks, audit rows).
"""

import argparse
import os
import statistics
import sys
import time

from bench.common import recreate_database


def setup_django(db_name):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        base, _, _ = url.rpartition("/")
        os.environ["DATABASE_URL"] = f"{base}/{db_name}"
        recreate_database(os.environ["DATABASE_URL"])
    else:
        path = f"/tmp/{db_name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["OPSFLOW_BENCH"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    setup_django("bench_completions")

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from processes import demo
    from processes.models import StandardVersion, WorkItem
    from processes.services import tokens, work

    demo.load_organisation()
    demo.load_processes()
    users = demo.demo_users()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    sales = users["sales"]

    started = time.perf_counter()
    for number in range(2 * args.runs):
        work.run_start(version=version, user=sales, external_id=f"B-{number}")
    seeded = time.perf_counter() - started
    items = list(WorkItem.objects.filter(position=2, status="open").order_by("id").values_list("pk", flat=True))
    service_items, api_items = items[: args.runs], items[args.runs : 2 * args.runs]

    # through the services
    queries, durations = [], []
    begin = time.perf_counter()
    for pk in service_items:
        item = WorkItem.objects.get(pk=pk)
        connection.queries_log.clear()  # a full log (9000 entries) would hide new queries
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            work.item_complete(item=item, user=sales)
        durations.append(time.perf_counter() - t0)
        queries.append(len(ctx.captured_queries))
    service_rate = len(service_items) / (time.perf_counter() - begin)

    # through the REST API (token auth, permission checks, serializers, audit rows); keep one
    # connection across requests so the queries of each request can be counted
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    _, token = tokens.api_token_create(user=sales, name="bench", days=1)
    client = APIClient(SERVER_NAME="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    api_durations, api_queries = [], []
    begin = time.perf_counter()
    for pk in api_items:
        connection.queries_log.clear()
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(f"/api/v1/work/items/{pk}/complete/", {}, format="json")
        api_durations.append(time.perf_counter() - t0)
        api_queries.append(len(ctx.captured_queries))
        if response.status_code != 200:
            print("unexpected", response.status_code, response.content[:200], file=sys.stderr)
            return 1
    api_rate = len(api_items) / (time.perf_counter() - begin)
    reset_queries()

    def ms(values, q):
        return statistics.quantiles(values, n=100)[q - 1] * 1000

    print(f"database: {connection.vendor}; runs seeded: {2 * args.runs} in {seeded:.1f} s")
    print(
        f"service layer: {service_rate:.0f} completions/s (1 process); "
        f"median {statistics.median(durations) * 1000:.1f} ms, "
        f"p95 {ms(durations, 95):.1f} ms; queries per completion: median {statistics.median(queries):.0f}, "
        f"max {max(queries)}"
    )
    print(
        f"REST API (in-process, token auth): {api_rate:.0f} completions/s; median "
        f"{statistics.median(api_durations) * 1000:.1f} ms, p95 {ms(api_durations, 95):.1f} ms; queries per request: "
        f"median {statistics.median(api_queries):.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
