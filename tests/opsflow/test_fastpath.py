"""The fast path's switches: each trick off (or all of them) gives the same results as with them on."""

import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from opsflow.fastpath import switches
from processes import demo
from processes.models import Run, WorkItem
from processes.services import tokens

pytestmark = pytest.mark.django_db

ANSWER_KEYS = ("kind", "position", "title_en", "status", "checks_passed", "checks_failed", "note", "automatic")


def _client(user):
    _token, secret = tokens.api_token_create(user=user, name="ERP", days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def _run_through_the_api(users):
    """Start a run and complete its steps over the API with tokens, as an integration does; return what
    the API answered, the statements it took and everything the run stored."""
    clients = {name: _client(users[name]) for name in ("sales", "warehouse", "logistics")}
    started = clients["sales"].post("/api/v1/work/runs/", {"process": "order-processing"}, format="json")
    assert started.status_code == 201, started.json()
    run = Run.objects.get(pk=started.json()["id"])
    answers, statements = [], []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for name in ("sales", "warehouse", "logistics"):
            item = run.items.get(status="open")
            client = clients[name]
            if name == "sales":
                claimed = client.post(f"/api/v1/work/items/{item.pk}/claim/")
                answers.append((claimed.status_code, {k: claimed.json()[k] for k in ANSWER_KEYS}))
            checks = ["Identity checked"] if name == "sales" else []
            done = client.post(f"/api/v1/work/items/{item.pk}/complete/", {"checks": checks}, format="json")
            answers.append((done.status_code, {k: done.json()[k] for k in ANSWER_KEYS}))
            again = client.post(f"/api/v1/work/items/{item.pk}/complete/", {}, format="json")
            answers.append((again.status_code, again.json()))
    listed = clients["sales"].get(f"/api/v1/work/runs/{run.pk}/").json()
    return answers, len(statements), _stored(run), [{k: i[k] for k in ANSWER_KEYS} for i in listed["items"]]


def _stored(run):
    run.refresh_from_db()
    items = list(run.items.order_by("position"))
    positions = {item.pk: item.position for item in items}
    name = lambda user: user.username if user else None  # noqa: E731
    history = WorkItem.history.model.objects.filter(run_id=run.pk).order_by("id", "history_id")
    tasks = list(run.flow_process.task_set.order_by("id"))
    return {
        "run": (run.status, run.finished_at is not None, run.on_time, run.flow_process.status),
        "items": [
            (i.position, i.status, name(i.assignee), name(i.completed_by), i.checks_passed, i.checks_failed)
            for i in items
        ],
        "history": [(positions[h.id], h.history_type, h.status, name(h.history_user)) for h in history],
        "run history": [(h.history_type, h.status) for h in run.history.order_by("history_id")],
        "tasks": [
            (t.flow_task.name, t.status, t.data, name(t.owner), [p.flow_task.name for p in t.previous.all()])
            for t in tasks
        ],
    }


@pytest.fixture
def standards(org):
    demo.load_processes()


@pytest.mark.parametrize("off", ["all", *switches.TRICKS])
def test_a_run_completed_over_the_api_with_tricks_off_stores_and_answers_the_same(users, standards, off):
    fast = _run_through_the_api(users)
    names = switches.TRICKS if off == "all" else (off,)
    with override_settings(OPSFLOW_FAST_PATH=switches.from_env(",".join(names)), OPSFLOW_PREPARED_STATEMENTS=False):
        for name in switches.TRICKS:
            assert switches.enabled(name) is (name not in names)
        plain = _run_through_the_api(users)
    answers, fast_queries, stored, listed = fast
    assert plain[0] == answers and plain[2] == stored and plain[3] == listed
    assert [code for code, _body in answers] == [200, 200, 409, 200, 409, 200, 409]
    assert stored["run"] == ("done", True, True, "DONE")
    assert [h[:2] for h in stored["history"]].count((2, "~")) >= 2  # claimed, then completed
    if off in ("all", "decided_if", "batched_history"):
        # viewflow's own If (the gate's savepoint and update) and simple-history's INSERT per save take
        # more statements: the switch did switch
        assert plain[1] > fast_queries


def test_the_environment_names_the_tricks_to_switch_off():
    assert switches.from_env("") == dict.fromkeys(switches.TRICKS, True)
    assert switches.from_env("all") == dict.fromkeys(switches.TRICKS, False)
    off = switches.from_env(" decided_if, step_view ")
    assert [name for name, on in off.items() if not on] == ["decided_if", "step_view"]
    with pytest.raises(switches.UnknownTrick, match="unknown trick.*decided-if.*known: all, compiled_read"):
        switches.from_env("decided-if")


WSGI_PROBE = """
import gc
import opsflow.wsgi
from django.conf import settings
print(gc.get_freeze_count(), gc.get_threshold()[0], sorted(n for n, on in settings.OPSFLOW_FAST_PATH.items() if not on))
"""


def _start(off):
    env = {"DJANGO_SETTINGS_MODULE": "opsflow.settings.test", "PATH": "/usr/bin:/bin", "OPSFLOW_FAST_PATH_OFF": off}
    return subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, "-c", WSGI_PROBE], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_environment_switches_tricks_off_at_start_and_refuses_an_unknown_name():
    started = _start("gc_freeze, cached_fields")
    assert started.returncode == 0, started.stderr
    frozen, threshold, off = started.stdout.split(maxsplit=2)
    assert (frozen, threshold) == ("0", "700")  # Python's own collector settings
    assert off.strip() == "['cached_fields', 'gc_freeze']"
    refused = _start("gc-freeze")
    assert refused.returncode != 0
    assert "OPSFLOW_FAST_PATH_OFF: unknown trick(s) gc-freeze" in refused.stderr
