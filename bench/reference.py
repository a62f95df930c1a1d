"""The machine's reference figure: ``pgbench`` TPC-B-like, scale 10, 8 clients, 2 threads, 20 s.

Every benchmark states its result also next to this figure ("inbox p95 = 12 ms; reference 3,693
TPS"), so figures from different machines or loads can be compared. Measuring takes about 25 s;
the figure is kept in ``var/bench_reference.json`` with the date, the machine and the load average.
Each script takes it in the same run as its own figures: it reuses the kept figure only while it is
younger than ``MAX_AGE_MINUTES`` (10) and from this machine, and measures it again otherwise (this
VM's speed drifts by 15% within an hour, so a figure from hours before would not describe the run).
``make bench`` measures it at the start (``--refresh``); scripts that start more than 10 minutes
later measure it again.

    python -m bench.reference [--refresh] [--max-age 10]

PostgreSQL is reached as in ``DATABASE_URL`` when it names a PostgreSQL server (else
``postgres://opsflow:opsflow@127.0.0.1:5432``); pgbench initialises its tables once, in its own
database ``bench_gen_pgbench``. Exits non-zero when pgbench fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess  # nosec B404: runs pgbench, a fixed command line
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "var" / "bench_reference.json"
DATABASE = "bench_gen_pgbench"
SCALE, CLIENTS, THREADS, SECONDS = 10, 8, 2, 20
DEFAULT_SERVER = "postgres://opsflow:opsflow@127.0.0.1:5432/postgres"


def machine() -> dict:
    """What identifies the machine a figure was taken on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0.0
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = round(pages * size / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"host": platform.node(), "cpus": os.cpu_count(), "cpu": model, "memory_gib": memory}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _server() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url if url.startswith("postgres") else DEFAULT_SERVER)
    return {
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "opsflow",
        "PGPASSWORD": parts.password or "",
    }


def _run(args: list[str], env: dict) -> str:
    result = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True, check=False)  # nosec B603
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return result.stdout + result.stderr


def _measure() -> dict:
    """Initialise pgbench's tables at scale 10 (once), run the TPC-B-like script, return the figure."""
    database = DATABASE
    pgbench, psql = shutil.which("pgbench"), shutil.which("psql")
    if not pgbench or not psql:
        raise RuntimeError("pgbench and psql are needed (Debian: apt-get install postgresql-client)")
    env = _server()
    exists = _run([psql, "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{database}'"], env)
    if exists.strip() != "1":
        _run([psql, "-d", "postgres", "-qc", f'CREATE DATABASE "{database}"'], env)
    branches = _run([psql, "-d", database, "-tAc", "SELECT to_regclass('pgbench_branches') IS NOT NULL"], env)
    scaled = branches.strip() == "t" and _run(
        [psql, "-d", database, "-tAc", "SELECT count(*) FROM pgbench_branches"], env
    ).strip() == str(SCALE)
    if not scaled:
        _run([pgbench, "-i", "-q", "-s", str(SCALE), database], env)
    version = _run([psql, "-d", database, "-tAc", "SHOW server_version"], env).strip()
    before = load()
    command = [pgbench, "-c", str(CLIENTS), "-j", str(THREADS), "-T", str(SECONDS), database]
    output = _run(command, env)
    tps = re.search(r"tps = ([\d.]+) \((?:without|excluding)", output) or re.search(r"tps = ([\d.]+)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    if tps is None:
        raise RuntimeError(f"no tps in pgbench's output: {output[-500:]}")
    return {
        "tps": round(float(tps.group(1)), 1),
        "latency_ms": float(latency.group(1)) if latency else None,
        "command": f"pgbench -c {CLIENTS} -j {THREADS} -T {SECONDS} (TPC-B-like, scale {SCALE})",
        "postgres": version,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_before": before,
        "load_after": load(),
    }


MAX_AGE_MINUTES = 10


def get(*, refresh: bool = False, max_age_minutes: float = MAX_AGE_MINUTES, quiet: bool = False) -> dict | None:
    """The cached figure when it is fresh and from this machine, else a new measurement (saved);
    ``None`` (with a message) when pgbench cannot run here."""
    if not refresh and CACHE.exists():
        try:
            cached = json.loads(CACHE.read_text())
            age = datetime.now(UTC) - datetime.fromisoformat(cached["date"])
            if cached.get("machine") == machine() and age.total_seconds() < max_age_minutes * 60:
                return cached
        except (ValueError, KeyError, TypeError):
            pass
    if not quiet:
        print(f"measuring the reference: pgbench -c {CLIENTS} -j {THREADS} -T {SECONDS} ...", flush=True)
    try:
        figure = _measure()
    except (RuntimeError, OSError) as exc:
        print(f"reference not measured: {exc}", file=sys.stderr)
        return None
    CACHE.parent.mkdir(exist_ok=True)
    CACHE.write_text(json.dumps(figure, indent=2) + "\n")
    return figure


def line(figure: dict | None = None) -> str:
    """``reference 3,693 TPS (pgbench ..., <date>, load ...)`` for a result line."""
    figure = figure if figure is not None else get(quiet=True)
    if figure is None:
        return "reference not measured"
    when = figure["date"][:16].replace("T", " ")
    return f"reference {figure['tps']:,.0f} TPS ({figure['command']}, {when} UTC, load {figure['load_before']})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="measure again even when a fresh figure is cached")
    parser.add_argument("--max-age", type=float, default=MAX_AGE_MINUTES, help="minutes a kept figure stays valid")
    args = parser.parse_args()
    figure = get(refresh=args.refresh, max_age_minutes=args.max_age)
    if figure is None:
        return 1
    m = figure["machine"]
    print(
        f"reference: {figure['tps']:,.1f} TPS, latency {figure['latency_ms']} ms; {figure['command']}; "
        f"PostgreSQL {figure['postgres']}; {m['cpus']} CPUs ({m['cpu']}), {m['memory_gib']} GiB, {m['host']}; "
        f"{figure['date']}; load average {figure['load_before']} -> {figure['load_after']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
