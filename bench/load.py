"""REST step completions under load: gunicorn on loopback, 32 concurrent clients from a separate process.

Usage (PostgreSQL and Redis, the real target):
    DATABASE_URL=postgres://opsflow:opsflow@127.0.0.1:5432/opsflow REDIS_URL=redis://127.0.0.1:6379/1 \
        python -m bench.load --clients 32 --duration 30

It creates its own database (``bench_load``), seeds the demo organisation and standards, starts
``--runs`` order runs (each leaves one open "Sales reviews the order" step), gives ``--users`` people
of the sales team an API token each, and starts gunicorn on 127.0.0.1 with production-like settings
(DEBUG off, persistent connections). The load comes from ``wrk`` (Debian package ``wrk``) in its own
process: ``--clients`` keep-alive connections POST ``/api/v1/work/items/{id}/complete/``, every id
once, for ``--duration`` seconds. wrk was chosen over locust because its C event loop with a small
Lua script uses a few percent of one core to drive 32 clients, where locust needs most of a core,
and on a 2-core machine every cycle the load generator takes is missing from the server.

It prints completions/s, p50/p95/p99, the error count (every answer other than 200 is an error),
the RSS of each gunicorn worker after the load, and then checks in the database that every step
answered 200 was completed exactly once (one completion audit row) and its run's next step exists
exactly once, and states the rate as a ratio to the pgbench reference (bench/reference.py).
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import reference
from bench.common import recreate_database

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "bench_load"

WRK_SCRIPT = r"""
-- Each connection posts to the next id of its thread's share of the list; every id is used once.
local ids, tokens = {}, {}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[3])
  local i = 0
  for line in io.lines(args[1]) do
    if i % nthreads == tid then table.insert(ids, line) end
    i = i + 1
  end
  for line in io.lines(args[2]) do table.insert(tokens, line) end
  pos = 0
  ok = 0
  bad = 0
  statuses = {}
end

function request()
  pos = pos + 1
  local id = ids[pos]
  if id == nil then
    -- list exhausted: ask for a missing item, counted as an error (seed more runs)
    id = "0"
  end
  local token = tokens[(pos + tid) % #tokens + 1]
  return wrk.format("POST", "/api/v1/work/items/" .. id .. "/complete/",
    {["Authorization"] = "Token " .. token, ["Content-Type"] = "application/json",
     ["Host"] = "localhost"}, "{}")
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
    if bad <= 3 then io.stderr:write("HTTP " .. status .. ": " .. string.sub(body, 1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, codes = 0, 0, {}
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
  end
  io.write(string.format(
    "RESULT {\"ok\": %d, \"bad\": %d, \"requests\": %d, \"socket_errors\": %d, \"duration_us\": %d, " ..
    "\"p50_us\": %d, \"p95_us\": %d, \"p99_us\": %d, \"max_us\": %d, \"mean_us\": %f}\n",
    total_ok, total_bad, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def loadavg():
    return f"load average {reference.load()}"


def setup_database(reuse):
    """Point Django at the benchmark's own database (created from scratch unless ``reuse``)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("bench.load needs PostgreSQL: set DATABASE_URL=postgres://user:password@127.0.0.1:5432/any")
    base, _, _ = url.rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["OPSFLOW_BENCH"] = "1"
    if not reuse:
        recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    if not reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def seed(runs, users):
    """Demo organisation and standards, ``users`` sales people with a token each, ``runs`` open reviews."""
    from django.contrib.auth.models import Group

    from processes import demo
    from processes.choices import Role
    from processes.models import StandardVersion, User, WorkItem
    from processes.services import tokens, work

    demo.load_organisation()
    demo.load_processes()
    sales = demo.demo_users()["sales"]
    group = Group.objects.get(name=Role.OPS_STAFF.value)
    people = []
    for number in range(users):
        person, created = User.objects.get_or_create(
            username=f"bench-sales-{number}",
            defaults={"first_name": "Bench", "last_name": str(number), "department": sales.department},
        )
        if created:
            person.groups.add(group)
        people.append(person)
    secrets = [tokens.api_token_create(user=person, name="bench-load", days=1)[1] for person in people]
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    open_items = WorkItem.objects.filter(run__version=version, position=2, status="open")
    missing = runs - open_items.count()
    started = time.perf_counter()
    for number in range(max(0, missing)):
        work.run_start(version=version, user=people[number % users], external_id=f"L-{time.time_ns()}")
    if missing > 0:
        print(f"seeded {missing} runs in {time.perf_counter() - started:.1f} s ({loadavg()})")
    ids = list(open_items.order_by("?").values_list("pk", flat=True)[:runs])
    return ids, secrets


def start_gunicorn(port, workers, threads, worker_class, worker_connections):
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="opsflow.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_CONN_MAX_AGE="600",
        PYTHONDONTWRITEBYTECODE="1",
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "opsflow.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--worker-connections",
        str(worker_connections),
        "--backlog",
        "256",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
        "--preload",
    ]
    log = open(Path(tempfile.gettempdir()) / "bench_load_gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                pass
            break
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP answer (e.g. 503 with the broker down): it is up
                break
            if server.poll() is not None:
                sys.exit(f"gunicorn exited, see {log.name}")
            time.sleep(0.3)
    return server


def worker_pids(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pids):
    """User + system CPU time of these processes (from /proc), 0 for the ones gone."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def postgres_backends():
    """The server processes of this benchmark's database connections (the workers keep theirs open)."""
    import psycopg2

    base = os.environ["DATABASE_URL"].rpartition("/")[0]
    with psycopg2.connect(f"{base}/postgres") as admin, admin.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
        pids = [row[0] for row in cursor.fetchall()]
    admin.close()
    return pids


def warm_up(port, ids, secrets):
    """One request per worker process and thread so imports and connections are not measured."""
    for pk, secret in zip(ids, secrets * (len(ids) // len(secrets) + 1), strict=False):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/work/items/{pk}/complete/",
            data=b"{}",
            method="POST",
            headers={"Authorization": f"Token {secret}", "Content-Type": "application/json", "Host": "localhost"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200, response.status


def run_wrk(port, ids, secrets, clients, duration, threads):
    folder = Path(tempfile.mkdtemp(prefix="bench_load_"))
    (folder / "ids.txt").write_text("\n".join(map(str, ids)) + "\n")
    (folder / "tokens.txt").write_text("\n".join(secrets) + "\n")
    (folder / "complete.lua").write_text(WRK_SCRIPT)
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={clients}",
        f"--duration={duration}s",
        "--timeout=10s",
        f"--script={folder / 'complete.lua'}",
        f"http://127.0.0.1:{port}",
        "--",
        str(folder / "ids.txt"),
        str(folder / "tokens.txt"),
        str(threads),
    ]
    print(" ".join(command))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stderr.write(result.stderr)
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    sys.exit(f"wrk failed:\n{result.stdout}\n{result.stderr}")


def verify(ids, expected_done, clients):
    """Every completed item: done exactly once (one audit row going to done), its next step exactly once."""
    from django.db import connection
    from django.db.models import Count

    from processes.models import WorkItem

    done = list(WorkItem.objects.filter(pk__in=ids, status="done").values_list("pk", "run_id"))
    history = WorkItem.history.model.objects.filter(id__in=[pk for pk, _ in done], status="done")
    audit = dict(history.values_list("id").annotate(n=Count("history_id")).values_list("id", "n"))
    # an audit row is the item saved as done; the completion is the first one (later saves would be
    # updates of a finished item, which nothing on this path does)
    not_once = [pk for pk, _ in done if audit.get(pk) != 1]
    runs = [run for _, run in done]
    nexts = dict(
        WorkItem.objects.filter(run_id__in=runs, position=3)
        .values("run_id")
        .annotate(n=Count("id"))
        .values_list("run_id", "n")
    )
    bad_next = [run for run in runs if nexts.get(run) != 1]
    connection.close()
    print(
        f"verified in the database: {len(done)} steps done ({expected_done} answered 200, up to {clients} more "
        "in flight at the end); "
        f"audit rows != 1: {len(not_once)}; runs whose next step is missing or doubled: {len(bad_next)}"
    )
    # requests still in flight when wrk stops are completed by the server but not counted by wrk
    return expected_done <= len(done) <= expected_done + clients and not not_once and not bad_next


def queries_per_request(ids, secret):
    """Queries of one REST completion, counted in this process through the same stack (no server)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient(SERVER_NAME="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    counts = []
    for pk in ids:
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(f"/api/v1/work/items/{pk}/complete/", {}, format="json")
        assert response.status_code == 200, response.content
        counts.append(len(ctx.captured_queries))
    return statistics.median(counts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("--runs", type=int, default=8000, help="open steps to seed (more than can be completed)")
    parser.add_argument("--users", type=int, default=32, help="sales people, one API token each")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: one per core)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument(
        "--worker-connections",
        type=int,
        default=0,
        help="connections one gthread worker holds at most (default: clients / workers, rounded up)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--reuse", action="store_true", help="keep the database of the last run (skip migrate)")
    args = parser.parse_args()
    # One worker per core: with 2 x cores the same load took more CPU per completion and its p95 was
    # 1.3 times higher (docs/benchmarks.md, 2026-12-02); the threads cover the waits on PostgreSQL.
    workers = args.workers or os.cpu_count()
    # gthread workers accept whatever connection reaches them first, so one can hold twice the share
    # of another and its requests queue behind each other (p95 2-6 times the median). Capped at their
    # share, every worker serves the same number of keep-alive clients (docs/operations.md,
    # "Running several workers").
    worker_connections = args.worker_connections or -(-args.clients // workers)

    setup_database(args.reuse)
    ids, secrets = seed(args.runs + 10 + workers * args.threads, args.users)
    warm, probe, ids = ids[: workers * args.threads * 2], ids[-10:], ids[workers * args.threads * 2 : -10]
    queries = queries_per_request(probe, secrets[0])
    from django.db import connection

    connection.close()

    print(
        f"gunicorn: {workers} workers x {args.threads} threads ({args.worker_class}, at most "
        f"{worker_connections} connections each); wrk: {args.clients} "
        f"connections, {args.wrk_threads} thread(s), {args.duration} s; {len(ids)} open steps; {loadavg()}"
    )
    server = start_gunicorn(args.port, workers, args.threads, args.worker_class, worker_connections)
    try:
        warm_up(args.port, warm, secrets)
        workers_pids, backends = worker_pids(server.pid), postgres_backends()
        cpu_before = cpu_seconds(workers_pids), cpu_seconds(backends)
        before = os.times()
        result = run_wrk(args.port, ids, secrets, args.clients, args.duration, args.wrk_threads)
        after = os.times()
        load = loadavg()
        # connections opened during the load (a worker thread's first request) are missed by the
        # backend list taken before it; take the union
        backends = sorted(set(backends) | set(postgres_backends()))
        cpu_after = cpu_seconds(workers_pids), cpu_seconds(backends)
        rss = [rss_mb(pid) for pid in worker_pids(server.pid)]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    seconds = result["duration_us"] / 1e6
    rate = result["ok"] / seconds
    errors = result["bad"] + result["socket_errors"]
    wrk_cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    print(
        f"REST completions: {rate:.0f}/s ({result['ok']} in {seconds:.1f} s); latency p50 "
        f"{result['p50_us'] / 1000:.1f} ms, p95 {result['p95_us'] / 1000:.1f} ms, "
        f"p99 {result['p99_us'] / 1000:.1f} ms, "
        f"max {result['max_us'] / 1000:.0f} ms; errors {errors} (non-200 {result['bad']}, socket "
        f"{result['socket_errors']}); queries per request {queries:.0f}; {load}"
    )
    print(f"wrk used {wrk_cpu:.1f} s CPU ({100 * wrk_cpu / seconds:.0f}% of one core)")
    # The machine may be shared: CPU time per completion does not depend on what else runs, and
    # says what 2 idle cores could do (all of gunicorn + PostgreSQL + wrk on them, no idle time).
    done = max(result["ok"], 1)
    web, database = cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]
    per = (web + database + wrk_cpu) / done
    print(
        f"CPU per completion: gunicorn {1000 * web / done:.1f} ms, PostgreSQL {1000 * database / done:.1f} ms, "
        f"wrk {1000 * wrk_cpu / done:.2f} ms; all cores busy this would be {os.cpu_count() / per:.0f}/s "
        f"on {os.cpu_count()} cores"
    )
    print("gunicorn worker RSS after the load: " + ", ".join(f"{value:.0f} MB" for value in rss))
    ok = verify(ids, result["ok"], args.clients)
    ref = reference.get(quiet=True)
    tps = ref and ref["tps"]
    target = rate >= 200 and result["p95_us"] < 200_000 and errors == 0 and max(rss, default=0) < 250
    ratio = f"{rate / tps:.3f} of the reference; {reference.line(ref)}" if tps else "no reference"
    print(
        f"REST completions = {rate:.0f}/s, p95 {result['p95_us'] / 1000:.0f} ms, {errors} errors, worker RSS "
        f"max {max(rss, default=0):.0f} MB with {args.clients} clients: target (>= 200/s, p95 < 200 ms, 0 errors, "
        f"RSS < 250 MB) {'met' if target else 'NOT met'}; {load}; {ratio}"
    )
    return 0 if ok and target else 1


if __name__ == "__main__":
    sys.exit(main())
