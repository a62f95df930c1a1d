"""Mass overdue: 10,000 open work items pass their deadline at once; how long until all are escalated?

Usage (PostgreSQL and ``redis-server`` needed):
    python -m bench.overdue [--items 10000] [--levels 1] [--workers 1 2] [--repeat 3]
It creates its own database (``bench_overdue``, dropped and made again; the server is
``DATABASE_URL``'s, by default the local one), seeds the demo organisation and ``--items`` open work
items spread over the staff's departments (some assigned, some still in the queue) whose deadline has
just passed, starts a private Redis (port 6390-6399) and, for each ``--workers`` figure, a Celery
worker with that many prefork processes. Then it sends ``processes.escalation_sweep`` the way beat does
and waits until every item has its escalations, and checks each level fired exactly once per item
with exactly one notification per recipient. E-mails go to Django's in-memory backend inside the
workers (the work of building them is measured, no mail server).
"""

import argparse
import os
import sys
import time
from datetime import timedelta

from bench import reference
from bench.common import recreate_database

DEFAULT_SERVER = "postgres://opsflow:opsflow@127.0.0.1:5432"
DB_NAME = "bench_overdue"


def setup_django():
    url = os.environ.get("DATABASE_URL", "")
    base = url.rpartition("/")[0] if url.startswith("postgres") else DEFAULT_SERVER
    os.environ["DATABASE_URL"] = f"{base}/{DB_NAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"
    recreate_database(os.environ["DATABASE_URL"])
    return os.environ["DATABASE_URL"]


def seed(count: int, levels: int):
    from processes import demo
    from processes.choices import EscalationTarget, WorkKind
    from processes.models import WorkItem

    _departments, users = demo.load_organisation()
    targets = [EscalationTarget.SUPERVISOR, EscalationTarget.DEPARTMENT_HEAD, EscalationTarget.OPERATIONS_DIRECTOR]
    policy = [[number + 1, targets[number].value, "0"] for number in range(levels)]
    staff = [users[name] for name in ("sales", "warehouse", "logistics", "cs", "it", "specialist")]
    from django.utils import timezone

    due = timezone.now() - timedelta(seconds=1)
    rows = []
    for number in range(count):
        person = staff[number % len(staff)]
        assigned = number % 4 != 0  # a quarter still waits in the department's queue
        rows.append(
            WorkItem(
                kind=WorkKind.STEP,
                title_en=f"Overdue step {number}",
                title_zh=f"超时步骤 {number}",
                department_id=person.department_id,
                assignee=person if assigned else None,
                assigned_at=due - timedelta(hours=2) if assigned else None,
                status="claimed" if assigned else "open",
                created_at=due - timedelta(hours=3),
                due_at=due,
                next_escalation_at=due,
                escalation_policy=policy,
            )
        )
    WorkItem.objects.bulk_create(rows, batch_size=2000)
    return due


def reset(due):
    """Back to "nothing escalated yet" between runs."""
    from processes.models import Escalation, Notification, WebhookDelivery, WorkItem

    Notification.objects.all().delete()
    Escalation.objects.all().delete()
    WebhookDelivery.objects.all().delete()
    WorkItem.objects.update(escalation_level=0, next_escalation_at=due)


def verify(count: int, levels: int) -> list[str]:
    from django.db.models import Count

    from processes.models import Escalation, Notification, WorkItem

    problems = []
    per_level = dict(Escalation.objects.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    for level in range(1, levels + 1):
        if per_level.get(level) != count:
            problems.append(f"level {level}: {per_level.get(level)} escalations, expected {count}")
    doubled = (
        Escalation.objects.values("work_item", "level").annotate(n=Count("id")).filter(n__gt=1).count()
        + Notification.objects.values("user", "escalation").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    if doubled:
        problems.append(f"{doubled} doubled escalations or notifications")
    recipients = Escalation.recipients.through.objects.count()
    notifications = Notification.objects.filter(kind="escalation").count()
    if notifications != recipients or recipients < count * levels:
        problems.append(f"{notifications} notifications for {recipients} recipients of {count * levels} escalations")
    left = WorkItem.objects.filter(next_escalation_at__isnull=False).count()
    if left:
        problems.append(f"{left} items still have an escalation due")
    return problems


def measure(*, workers: int, count: int, levels: int, database_url: str, redis, due) -> dict:
    from django.db import connection
    from redis import Redis

    from processes.models import Escalation, Notification
    from processes.tasks import escalation_sweep as escalation_sweep_task
    from tests.reliability.services import CeleryWorker

    reset(due)
    Redis.from_url(redis.url).flushall()
    connection.close()
    worker = CeleryWorker(
        database_url=database_url,
        broker_url=redis.url,
        concurrency=workers,
        env={"EMAIL_URL": "memorymail://"},
    )
    worker.start()
    try:
        expected = count * levels
        load_before = os.getloadavg()
        started = time.perf_counter()
        escalation_sweep_task.delay()  # what beat sends every 30 s
        escalated_after = emailed_after = None
        last, last_change = None, time.perf_counter()
        while time.perf_counter() - last_change < 60:  # give up after a minute without progress
            done = Escalation.objects.count()
            unsent = Notification.objects.filter(emailed_at__isnull=True).count()
            if (done, unsent) != last:
                last, last_change = (done, unsent), time.perf_counter()
            if escalated_after is None and done >= expected:
                escalated_after = time.perf_counter() - started
            if escalated_after is not None and unsent == 0:
                emailed_after = time.perf_counter() - started
                break
            time.sleep(0.2)
        load_after = os.getloadavg()
    finally:
        worker.stop()
    problems = verify(count, levels)
    if problems:
        print(f"worker log: {worker.log.name}", file=sys.stderr)
    else:
        os.unlink(worker.log.name)
    return {
        "workers": workers,
        "escalated_s": escalated_after,
        "emailed_s": emailed_after,
        "load": (load_before[0], load_after[0]),
        "problems": problems,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--levels", type=int, default=1, choices=(1, 2, 3))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count (the median counts)")
    args = parser.parse_args()
    database_url = setup_django()
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.core.management import call_command

    from tests.reliability.services import RedisServer

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    due = seed(args.items, args.levels)
    print(f"seeded {args.items} overdue work items ({args.levels} level(s)) in {time.perf_counter() - started:.1f} s")
    ref = reference.get()  # the machine's pgbench figure, taken in this run (reference.MAX_AGE_MINUTES)
    results = []
    with RedisServer() as redis:
        os.environ["REDIS_URL"] = redis.url
        from opsflow.celery import app

        app.conf.broker_url = redis.url
        for workers in args.workers:
            runs = []
            for _ in range(args.repeat):
                result = measure(
                    workers=workers,
                    count=args.items,
                    levels=args.levels,
                    database_url=database_url,
                    redis=redis,
                    due=due,
                )
                runs.append(result)
                rate = args.items * args.levels / result["escalated_s"] if result["escalated_s"] else 0
                print(
                    f"{workers} worker process(es): all {args.items * args.levels} escalations in "
                    f"{result['escalated_s'] or float('nan'):.1f} s ({rate:.0f} escalations/s), notifications "
                    f"e-mailed after {result['emailed_s'] or float('nan'):.1f} s; load average "
                    f"{result['load'][0]:.2f} -> {result['load'][1]:.2f}; "
                    + ("exactly once: ok" if not result["problems"] else "PROBLEMS: " + "; ".join(result["problems"])),
                    flush=True,
                )
            times = sorted(r["escalated_s"] or float("inf") for r in runs)
            median = times[len(times) // 2]
            results.append({**runs[0], "escalated_s": median, "problems": [p for r in runs for p in r["problems"]]})
            print(f"{workers} worker process(es): median {median:.1f} s over {len(runs)} run(s)", flush=True)
    if ref:
        print(reference.line(ref))
        for result in results:
            if result["escalated_s"]:
                rate = args.items * args.levels / result["escalated_s"]
                print(f"{result['workers']} worker(s): {rate / ref['tps']:.3f} escalations per pgbench transaction")
    failed = any(r["problems"] or not r["escalated_s"] or r["escalated_s"] > 60 for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
