"""Escalation under concurrency and faults, on real PostgreSQL, Redis and Celery worker processes.

- several sweeps at once over the same 1,000 overdue items: each level fires exactly once per item;
- the worker process killed with SIGKILL 50 times while it escalates and e-mails: after a restart and a
  sweep nothing is lost, nothing is doubled, no e-mail goes out twice;
- Redis stopped under load: pages and the API keep answering, the sweep does not fail, and the due
  work is escalated by the first sweep once Redis is back.

The worker runs ``opsflow.settings.base`` against the pytest database, so the data is committed
(``transaction=True``); each test starts its own Redis on a port of its test process's own ten from 6390 on.
"""

import email
import email.header
import os
import random
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu import pools
from redis import Redis
from rest_framework.test import APIClient

from metrics.choices import MetricsWorkKind
from processes import demo
from processes.choices import EscalationTarget
from processes.models import Escalation, Notification, StandardVersion, WorkItem
from processes.services import work
from processes.services.work import escalation

from .services import CeleryWorker, RedisServer, WorkerLauncher, database_url, redis_available

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections need PostgreSQL"),
    pytest.mark.skipif(not redis_available(), reason="needs the redis-server binary"),
    pytest.mark.django_db(transaction=True),
]

# level 1 to the supervisor (or the department head for queue work), level 2 to the operations
# director; both due the moment the deadline passes, so one sweep fires both
TWO_LEVELS = [[1, EscalationTarget.SUPERVISOR.value, "0"], [2, EscalationTarget.OPERATIONS_DIRECTOR.value, "0"]]


def _overdue_items(users, count: int, *, due, prefix: str = "Overdue", levels=TWO_LEVELS) -> list[int]:
    """``count`` open items of the sales department whose deadline is ``due`` (half assigned to the sales
    clerk, half in the queue): level 1 goes to the manager either way, level 2 to the director."""
    ids = []
    for number in range(count):
        item = work.work_item_open(
            kind=MetricsWorkKind.ACTION,
            department_id=users["sales"].department_id,
            title_en=f"{prefix} {number}",
            due_at=due,
            user=users["sales"],
            assignee=users["sales"] if number % 2 else None,
            levels=levels,
            at=due - timedelta(hours=1),
        )
        ids.append(item.pk)
    return ids


def _assert_escalated_once(ids: list[int]):
    count = len(ids)
    escalations = Escalation.objects.filter(work_item__in=ids)
    per_level = dict(escalations.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    assert per_level == {1: count, 2: count}
    notifications = Notification.objects.filter(escalation__work_item__in=ids)
    per_level = dict(
        notifications.values_list("escalation__level").annotate(n=Count("id")).values_list(*["escalation__level", "n"])
    )
    assert per_level == {1: count, 2: count}
    assert not notifications.values("user", "escalation").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(notifications.filter(escalation__level=1).values_list("user__username", flat=True)) == {"manager"}
    assert set(notifications.filter(escalation__level=2).values_list("user__username", flat=True)) == {"director"}
    assert not WorkItem.objects.filter(pk__in=ids).exclude(escalation_level=2, next_escalation_at=None).exists()


def _use_broker(url: str | None):
    """Point this process's Celery app at ``url`` (messages really go out), or back to eager mode."""
    from opsflow.celery import app

    if url:
        app.conf.update(
            broker_url=url,
            task_always_eager=False,
            broker_transport_options={"visibility_timeout": 3600, "socket_timeout": 5, "socket_connect_timeout": 3},
        )
    else:
        from django.conf import settings

        app.conf.update(
            broker_url=settings.CELERY_BROKER_URL,
            task_always_eager=True,
            broker_transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        )
    pools.reset()  # kombu keeps one (global) pool per URL; a restarted Redis on the same port needs new ones
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def redis_server():
    with RedisServer() as server:
        yield server


@pytest.fixture
def broker(redis_server):
    _use_broker(redis_server.url)
    yield redis_server
    _use_broker(None)


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


# a. sweeps at once
# ------------------------------------------------------------------------------


def _sweeps_at_once(count: int, now) -> list[int]:
    """``count`` sweeps started together, each in its own thread with its own connection."""
    barrier = threading.Barrier(count)
    fired, errors = [], []

    def sweep():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            fired.append(work.escalation_sweep(now=now, fan_out=False))
        except Exception as exc:  # reported below: an assert in a thread would be lost
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return fired


def test_concurrent_sweeps_escalate_each_level_exactly_once(org):
    users = org["users"]
    due = timezone.now() - timedelta(hours=2)
    # level 1 falls due at the deadline, level 2 an hour later: 2 sweeps race for level 1, then 8 for level 2
    levels = [[1, EscalationTarget.SUPERVISOR.value, "0"], [2, EscalationTarget.OPERATIONS_DIRECTOR.value, "1"]]
    ids = _overdue_items(users, 1000, due=due, levels=levels)
    for sweeps, now, level in ((2, due + timedelta(minutes=1), 1), (8, due + timedelta(hours=1, minutes=1), 2)):
        fired = _sweeps_at_once(sweeps, now)
        assert sum(fired) == 1000  # levels fired, counted by the sweeps that fired them
        assert Escalation.objects.filter(work_item__in=ids, level=level).count() == 1000
    _assert_escalated_once(ids)


# b. kill -9 in the middle of the work
# ------------------------------------------------------------------------------


def _sent_emails(folder: Path) -> Counter:
    """(recipient, subject) of every e-mail the worker handed to the (file) mail backend."""
    sent = Counter()
    for path in folder.glob("*.log"):
        for raw in path.read_text().split("-" * 79):
            if raw.strip():
                message = email.message_from_string(raw.strip())
                sent[
                    (message["To"], str(email.header.make_header(email.header.decode_header(message["Subject"]))))
                ] += 1
    return sent


def test_worker_killed_mid_escalation_loses_and_doubles_nothing(org, broker, monkeypatch):
    users = org["users"]
    monkeypatch.setattr(escalation, "SWEEP_CHUNK", 3)  # several small tasks per sweep
    rounds, per_round = 50, 6
    start = timezone.now() - timedelta(hours=2)
    ids = []
    for number in range(rounds):  # round n's work falls due at start + n minutes
        ids += _overdue_items(users, per_round, due=start + timedelta(minutes=number), prefix=f"R{number}")
    outbox = Path(tempfile.mkdtemp(prefix="esc-mail-"))
    launcher = WorkerLauncher(
        database_url=database_url(connection.settings_dict),
        broker_url=broker.url,
        env={"EMAIL_URL": f"filemail:///{outbox}"},
    ).start()
    redis = Redis.from_url(broker.url)
    rng = random.Random(11)
    hits = 0
    try:
        for number in range(rounds):
            # what the last worker never took goes with it (as with a lost machine or broker) ...
            redis.delete("celery")
            # ... and the sweep of minute n queues round n's items and whatever a killed worker left due
            work.escalation_sweep(now=start + timedelta(minutes=number, seconds=30))
            held = redis.hlen("unacked")  # messages of killed workers stay there (visibility timeout)
            started = launcher.output().count(" ready.")
            worker = launcher.fork()
            _wait(lambda: launcher.output().count(" ready.") > started, 30, "a worker")  # noqa: B023
            time.sleep(rng.uniform(0.0, 0.3))
            busy = redis.hlen("unacked") > held  # it holds a message: a task is running
            os.kill(worker, signal.SIGKILL)
            hits += busy
        # recovery: a fresh worker, one sweep re-finds what the dead workers left due, then the e-mails
        # whose tasks died with them are queued again
        redis.delete("celery")
        launcher.fork()
        work.escalation_sweep(now=start + timedelta(minutes=rounds + 1))
        _wait(lambda: not WorkItem.objects.filter(pk__in=ids, next_escalation_at__isnull=False).exists(), 60, "sweep")
        work.notifications_resend(older_than=timedelta(0))
        _wait(lambda: not Notification.objects.filter(emailed_at__isnull=True).exists(), 60, "e-mails")
        time.sleep(1)  # a duplicate message (if any) has its chance to send twice
    except AssertionError:
        print(launcher.output()[-5000:])
        raise
    finally:
        launcher.stop()
    Path(launcher.log.name).unlink()
    _assert_escalated_once(ids)
    assert hits >= 10, f"only {hits} of {rounds} kills hit a worker running a task"
    sent = _sent_emails(outbox)
    assert sent, "no e-mail went out"
    assert max(sent.values()) == 1, [key for key, n in sent.items() if n > 1]
    notifications = Notification.objects.filter(escalation__work_item__in=ids).count()
    lost = notifications - len(sent)
    # an e-mail is lost only if a kill landed between marking it and handing it over; never doubled
    assert 0 <= lost <= rounds
    shutil.rmtree(outbox)
    print(f"\n{rounds} kills ({hits} during a task), {notifications} notifications, {len(sent)} e-mails, {lost} lost")


# c. Redis away under load
# ------------------------------------------------------------------------------


def test_redis_down_pages_and_api_answer_and_escalation_catches_up(org, broker, settings, monkeypatch):
    users = org["users"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": broker.url,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    monkeypatch.setattr(escalation, "SWEEP_CHUNK", 20)
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    runs = [work.run_start(version=version, user=users["sales"], external_id=f"O-{n}")[0] for n in range(20)]
    open_steps = list(WorkItem.objects.filter(run__in=runs, status="open").values_list("pk", flat=True))
    due = timezone.now() - timedelta(minutes=1)
    overdue = _overdue_items(users, 100, due=due)
    worker = CeleryWorker(database_url=database_url(connection.settings_dict), broker_url=broker.url).start()
    statuses, slow = Counter(), []
    stop, down = threading.Event(), threading.Event()

    def phase():
        return "down" if down.is_set() and not broker.process else "up"

    def browse(user, paths, api: bool):
        from django.db import connection as thread_connection

        client = APIClient() if api else Client()
        client.force_login(user)
        try:
            while not stop.is_set():
                for path in paths:
                    started = time.monotonic()
                    response = client.get(path)
                    slow.append(time.monotonic() - started)
                    statuses[(phase(), "api" if api else "page", response.status_code)] += 1
        finally:
            thread_connection.close()

    def complete(user, item_ids):
        from django.db import connection as thread_connection

        client = APIClient()
        client.force_authenticate(user)
        down.wait(30)  # steps are completed while Redis is away
        try:
            for pk in item_ids:
                if stop.is_set():
                    break
                response = client.post(f"/api/v1/work/items/{pk}/complete/", {}, format="json")
                statuses[(phase(), "complete", response.status_code)] += 1
                time.sleep(0.1)
        finally:
            thread_connection.close()

    pages = [reverse("work:inbox"), reverse("work:notifications"), reverse("work:item-detail", args=[overdue[0]])]
    api_paths = ["/api/v1/work/items/", "/api/v1/work/notifications/", "/api/v1/work/escalations/"]
    threads = [
        threading.Thread(target=browse, args=(users["manager"], pages, False)),
        threading.Thread(target=browse, args=(users["sales"], api_paths, True)),
        threading.Thread(target=complete, args=(users["sales"], open_steps)),
    ]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1)
        broker.stop()  # Redis gone: cache, broker and the worker's connection with it
        down.set()
        assert work.escalation_sweep() == len(overdue)  # the sweep itself does not fail ...
        time.sleep(4)
        # ... and nothing was escalated behind Redis's back: all of it is still due in the database
        assert WorkItem.objects.filter(pk__in=overdue, escalation_level=0).count() == len(overdue)
        broker.start()
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    try:
        errors = {key: n for key, n in statuses.items() if key[2] >= 500}
        assert errors == {}, errors
        answered = Counter()
        for (when, what, code), n in statuses.items():
            answered[(when, what, code < 400)] += n
        # while Redis was down: pages, API reads and step completions answered, and successfully
        assert answered[("down", "page", True)] >= 3
        assert answered[("down", "api", True)] >= 3
        assert answered[("down", "complete", True)] >= 3
        # Redis is back (empty): the first sweep escalates everything due, the worker reconnected on its own
        work.escalation_sweep()
        _wait(
            lambda: not WorkItem.objects.filter(pk__in=overdue, next_escalation_at__isnull=False).exists(),
            60,
            "the sweep after Redis came back",
        )
    finally:
        worker.stop()
    _assert_escalated_once(overdue)
    Path(worker.log.name).unlink()
    print(f"\nrequests: {dict(statuses)}; slowest {max(slow):.2f} s")
