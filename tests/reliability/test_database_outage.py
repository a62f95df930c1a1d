"""PostgreSQL restarted under load: a private cluster, a real gunicorn on it, concurrent clients on pages
and the API, and ``pg_ctl stop -m fast`` + ``start`` in the middle.

While the database is away every request fails cleanly (503, a short page or JSON, never a 500 or a
traceback, never hanging); once it is back the same server answers again by itself (persistent
connections are health-checked); and no transition is half applied.
"""

import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.db import connection

from tests import unused_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="restarts a private PostgreSQL cluster"),
]

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
RUNS = 240  # 720 steps to complete: more than paced clients can finish, so work remains after the outage
PACE = 0.1  # seconds an API client waits after each completion (load, not a race to empty the inboxes)
BEFORE, OUTAGE, AFTER = 4.0, 4.0, 7.0  # seconds of load before, during and after the outage
RECOVERY = 3.0  # every request started this long after PostgreSQL is back must succeed
REQUEST_TIMEOUT = 20.0  # no request may take longer (gunicorn's worker timeout is 30 s)


class Cluster:
    """A throwaway PostgreSQL cluster in a temporary directory (run as the ``postgres`` OS user when we
    are root, since PostgreSQL refuses to run as root)."""

    def __init__(self):
        # not under pytest's tmp_path: that is private to our user, and the server runs as postgres
        self.dir = Path(tempfile.mkdtemp(prefix="opsflow-outage-pg-"))
        self.data = self.dir / "data"
        self.port = unused_port()
        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        if not versions:
            pytest.fail("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
        self.bin = Path(versions[-1]).parent
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")

    def _run(self, *args, timeout=60):
        done = subprocess.run(self.as_user + list(args), timeout=timeout, capture_output=True, text=True, cwd=self.dir)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stdout} {done.stderr}")

    def init(self):
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "opsflow", "--auth=trust", "-E", "UTF8")
        options = [
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.dir}'",
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "max_connections = 50",
            "shared_buffers = 32MB",
        ]
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n".join(options) + "\n")

    def start(self):
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode="fast"):
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def createdb(self, name):
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "opsflow", name)

    def url(self, name):
        return f"postgres://opsflow@127.0.0.1:{self.port}/{name}"


@dataclass
class Outcome:
    client: str
    method: str
    path: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all (timeout, connection refused)
    content_type: str
    body: str
    retry_after: str | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One HTTP client with its own cookies; records every request's outcome."""

    def __init__(self, name, base, outcomes, token=None):
        self.name, self.base, self.outcomes, self.token = name, base, outcomes, token
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect())

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), "")

    def request(self, method, path, data=None, form=None, record=True):
        headers = {"Accept-Language": "en"}
        body = None
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if data is not None:
            body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                status, content_type = response.status, response.headers.get("Content-Type", "")
                retry_after, text = response.headers.get("Retry-After"), response.read().decode()
        except urllib.error.HTTPError as error:
            status, content_type = error.code, error.headers.get("Content-Type", "")
            retry_after, text = error.headers.get("Retry-After"), error.read().decode()
        except OSError as error:  # timeout, refused, reset
            status, content_type, retry_after, text = None, "", None, repr(error)
        outcome = Outcome(self.name, method, path, started, time.monotonic(), status, content_type, text, retry_after)
        if record:
            self.outcomes.append(outcome)
        return outcome


def _api_completer(client, stop, completed):
    """Completes the first open step of its user's inbox, again and again."""
    while not stop.is_set():
        listing = client.request("GET", "/api/v1/work/items/?inbox=true&kind=step")
        if listing.status != 200:
            time.sleep(0.1)
            continue
        items = [row for row in json.loads(listing.body)["results"] if row["status"] in ("open", "claimed")]
        if not items:
            time.sleep(0.2)
            continue
        outcome = client.request("POST", f"/api/v1/work/items/{items[0]['id']}/complete/", data={})
        if outcome.status == 200:
            completed.append(items[0]["id"])
        time.sleep(PACE)


def _page_user(client, api, stop):
    """A person in the browser: the inbox and run list pages, and completing a step through the form."""
    while not stop.is_set():
        client.request("GET", "/work/")
        client.request("GET", "/work/runs/")
        listing = api.request("GET", "/api/v1/work/items/?inbox=true&kind=step", record=False)
        if listing.status == 200:
            rows = json.loads(listing.body)["results"]
            if rows:
                form = {"csrfmiddlewaretoken": client.cookie("csrftoken"), "note": "from the page"}
                client.request("POST", f"/work/items/{rows[-1]['id']}/complete/", form=form)


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


@pytest.fixture
def site(tmp_path):
    """Private cluster, migrated and seeded database, gunicorn on it. Yields what the test needs."""
    timings = {"begin": time.monotonic()}
    cluster = Cluster()
    cluster.init()
    cluster.start()
    server = log = None
    try:
        cluster.createdb("outage")
        timings["cluster"] = time.monotonic()
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "REDIS_URL"))}
        env.update(
            DJANGO_SETTINGS_MODULE="opsflow.settings.base",
            DJANGO_DEBUG="False",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_LOG_LEVEL="WARNING",
            DATABASE_URL=cluster.url("outage"),
            OPSFLOW_VAR_DIR=str(tmp_path / "var"),
        )
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = "redis://127.0.0.1:6379/4"  # this test's Redis database
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
        timings["migrate"] = time.monotonic()
        seeded = subprocess.run(
            [PYTHON, "-m", "tests.reliability.outage_app", "seed", str(RUNS)],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
            text=True,
        )
        timings["seed"] = time.monotonic()
        port = unused_port()
        log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 (closed with the server)
        server = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "opsflow.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--timeout", "30"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while Client("probe", base, []).request("GET", "/accounts/login/").status != 200:
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        timings["gunicorn"] = time.monotonic()
        steps = list(timings.items())
        spent = [f"{name} {end - start:.1f}s" for (_, start), (name, end) in zip(steps, steps[1:], strict=False)]
        print("\nsetup: " + ", ".join(spent))
        yield {
            "cluster": cluster,
            "base": base,
            "server": server,
            "env": env,
            "log": tmp_path / "gunicorn.log",
            **json.loads(seeded.stdout.strip().splitlines()[-1]),
        }
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
        if log is not None:
            log.close()
        with contextlib.suppress(RuntimeError):  # already stopped by a failed test
            cluster.stop("immediate")
        shutil.rmtree(cluster.dir, ignore_errors=True)


def test_postgresql_restart_under_load(site):
    base, cluster, server = site["base"], site["cluster"], site["server"]
    outcomes: list[Outcome] = []
    completed: list[int] = []
    stop = threading.Event()
    clients = []
    for name in ("sales", "warehouse", "logistics"):
        api = Client(f"api-{name}", base, outcomes, token=site["tokens"][name])
        clients.append(threading.Thread(target=_api_completer, args=(api, stop, completed)))
    page = Client("page-manager", base, outcomes)
    page.request("GET", "/accounts/login/", record=False)
    form = {"username": "manager", "password": site["password"], "csrfmiddlewaretoken": page.cookie("csrftoken")}
    assert page.request("POST", "/accounts/login/", form=form, record=False).status == 302
    manager_api = Client("api-manager", base, outcomes, token=site["tokens"]["manager"])
    clients.append(threading.Thread(target=_page_user, args=(page, manager_api, stop)))
    workers_before = _children(server.pid)

    started = time.monotonic()
    for thread in clients:
        thread.start()
    try:
        time.sleep(BEFORE)
        down = time.monotonic()
        cluster.stop("fast")
        stopped = time.monotonic()
        time.sleep(OUTAGE)
        restarting = time.monotonic()
        cluster.start()
        up = time.monotonic()
        time.sleep(AFTER)
    finally:
        stop.set()
        for thread in clients:
            thread.join(REQUEST_TIMEOUT + 5)
    finished = time.monotonic()

    def window(o):
        return f"{o.client} {o.method} {o.path} at {o.started - started:.2f}-{o.ended - started:.2f}s: {o.status}"

    # every request got an answer, in time, and none of them a server error or a traceback
    assert not [window(o) for o in outcomes if o.status is None], "requests without an answer"
    assert max(o.ended - o.started for o in outcomes) < REQUEST_TIMEOUT
    assert not [window(o) for o in outcomes if o.status not in (200, 302, 409, 503)]
    assert not [window(o) for o in outcomes if "Traceback" in o.body or 'File "/' in o.body]

    # 503 only around the outage, with a clear message and Retry-After
    unavailable = [o for o in outcomes if o.status == 503]
    assert not [window(o) for o in unavailable if o.ended < down or o.started > up + RECOVERY]
    for outcome in unavailable:
        assert outcome.retry_after, window(outcome)
        if outcome.path.startswith("/api/"):
            assert outcome.content_type.startswith("application/json")
            assert "cannot reach its database" in json.loads(outcome.body)["detail"]
        else:
            assert outcome.content_type.startswith("text/html")
            assert "Temporarily unavailable" in outcome.body and "cannot reach its database" in outcome.body
    # while it was down, everything that reached the server failed that way, pages and API alike
    during = [o for o in outcomes if o.started > stopped + 0.2 and o.ended < restarting]
    assert during and all(o.status == 503 for o in during), [window(o) for o in during if o.status != 503]
    assert {o.client for o in during} == {"api-sales", "api-warehouse", "api-logistics", "page-manager"}

    # after the restart the same server recovers by itself: same workers, every request answered
    after = [o for o in outcomes if o.started > up + RECOVERY]
    assert after and all(o.status in (200, 302, 409) for o in after), [window(o) for o in after if o.status >= 400]
    assert server.poll() is None and _children(server.pid) == workers_before
    first_ok = min(o.ended for o in outcomes if o.started > up and o.status == 200)
    completions_after = [o for o in after if o.method == "POST" and o.path.startswith("/api/") and o.status == 200]
    pages_after = [o for o in after if o.client == "page-manager" and o.method == "GET" and o.status == 200]
    assert completions_after and pages_after, f"{len(completed)} API completions of {RUNS * 3} steps"
    before = [o for o in outcomes if o.ended < down]
    statuses = {code: sum(o.status == code for o in outcomes) for code in sorted({o.status for o in outcomes})}
    print(
        f"\n{len(outcomes)} requests in {finished - started:.1f}s ({len(before)} before the outage, {len(during)} "
        f"during, all 503; {len(after)} after recovery); stop took {stopped - down:.2f}s, outage "
        f"{up - down:.2f}s; first success {first_ok - up:.2f}s after PostgreSQL was back; "
        f"{len(completed)} API completions; statuses {statuses}; load average {os.getloadavg()[0]:.2f}"
    )

    # nothing half applied: audit rows, next steps, runs and flows agree
    checked = subprocess.run(
        [PYTHON, "-m", "tests.reliability.outage_app", "check"],
        input=json.dumps(completed),
        cwd=ROOT,
        env=site["env"],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    report = json.loads(checked.stdout.strip().splitlines()[-1])
    assert report["problems"] == {}
    assert report["done"] >= RUNS + len(completed)  # the automatic first steps and every completion
