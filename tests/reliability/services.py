"""Private servers for the reliability tests and benchmarks: a throwaway Redis on its own port and
Celery worker processes pointed at a given database and broker.

Nothing here touches the shared Redis on 6379: each caller picks a free port of its test process's
own ten from 6390 on.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _port_range() -> range:
    """This test process's own 10 ports from 6390 on (pytest-xdist worker gwN gets 6390 + 10 N ...):
    a Redis stopped for a while must get its port back, not find another test process's Redis on it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 6390 + 10 * (int(worker) if worker.isdigit() else 0)
    return range(first, first + 10)


def free_port(first: int | None = None) -> int:
    ports = _port_range()
    start = first if first in ports else ports.start
    for port in [*range(start, ports.stop), *range(ports.start, start)]:
        if not _port_open(port):
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


class RedisServer:
    """A private ``redis-server`` without persistence; ``stop()`` kills it (its data is gone, like a
    Redis restart without a dump), ``start()`` brings up an empty one on the same port."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.dir = tempfile.mkdtemp(prefix="redis-")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        """Start on ``self.port``; a port taken meanwhile (parallel test processes pick free ports too)
        moves the server to the next free one."""
        for _attempt in range(10):
            if self._start(timeout):
                return self
            self.port = free_port(self.port + 1)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def _start(self, timeout: float) -> bool:
        from redis import Redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # the port was taken
            if _port_open(self.port):
                try:  # the one answering is ours, not another test process's
                    if Redis(port=self.port, socket_timeout=1).info("server")["process_id"] == self.process.pid:
                        return True
                except Exception:  # noqa: S110 - not answering yet
                    pass
            time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def database_url(settings_dict: dict) -> str:
    """The URL of a Django connection's database (e.g. the pytest test database)."""
    return (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


class CeleryWorker:
    """``celery -A opsflow worker`` as a subprocess (own session, so it can be killed with its pool);
    ``concurrency`` is the number of prefork child processes that do the work."""

    def __init__(self, *, database_url: str, broker_url: str, concurrency: int = 1, env: dict | None = None):
        self.database_url = database_url
        self.broker_url = broker_url
        self.concurrency = concurrency
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="celery-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self, timeout: float = 60.0) -> CeleryWorker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "opsflow.settings.base",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.broker_url,
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "opsflow", "worker", "--pool", "prefork"]
            + ["--concurrency", str(self.concurrency), "--loglevel", "INFO", "--without-gossip"]
            + ["--without-mingle", "--without-heartbeat", "-n", f"w{os.getpid()}-{id(self)}@%h"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        seen = Path(self.log.name).stat().st_size  # a restart appends to the same log
        deadline = time.monotonic() + timeout
        while "ready." not in Path(self.log.name).read_text(errors="replace")[seen:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole worker: parent and pool, as ``kill -9`` on a machine going away."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self, timeout: float = 20.0) -> None:
        """Warm shutdown (finish the running task), SIGKILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def __enter__(self) -> CeleryWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        Path(self.log.name).unlink(missing_ok=True)


class WorkerLauncher:
    """Celery workers started in a fraction of a second: a launcher process loads Django and the Celery
    app once, then forks a complete worker (``--pool solo``: the worker process runs the tasks itself)
    each time ``fork()`` is called. Killing such a worker with SIGKILL is a machine losing its worker
    mid-task: the message it held stays unacknowledged in Redis (until the visibility timeout), so
    only the database-driven sweep can finish the work.
    """

    def __init__(self, *, database_url: str, broker_url: str, env: dict | None = None):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "opsflow.settings.base",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": broker_url,
            "CELERY_SKIP_CHECKS": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="celery-forks-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self) -> WorkerLauncher:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.services", "launch", self.log.name],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the worker launcher did not start")
        return self

    def fork(self) -> int:
        """Start one worker; returns its pid."""
        self.process.stdin.write("fork\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


def _launch(log_path: str) -> None:
    import django

    django.setup()
    from opsflow.celery import app

    # what each worker would otherwise do at start: import the tasks and the worker machinery (Django's
    # system checks are skipped through CELERY_SKIP_CHECKS; the suite runs them)
    app.loader.import_default_modules()
    app.finalize(auto=True)
    import celery.apps.worker  # noqa: F401
    import celery.bin.worker  # noqa: F401
    import kombu.transport.redis  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed workers are reaped by the kernel
    print("ready", flush=True)
    count = 0
    for line in sys.stdin:
        if line.strip() != "fork":
            continue
        count += 1
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.dup2(log, 1)
            os.dup2(log, 2)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            app.worker_main(
                ["worker", "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
                + ["--without-heartbeat", "-n", f"fork{os.getppid()}-{count}@%h"]
            )
            os._exit(0)
        print(pid, flush=True)


if __name__ == "__main__" and sys.argv[1:2] == ["launch"]:
    _launch(sys.argv[2])
