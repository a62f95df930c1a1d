"""Memory of the event-log import: discovering an as-is map from a 1,000,000-row event log must
stream in constant memory (design section 8).

    python -m bench.eventlog [--rows 1000000] [--limit-mb 150]

It writes event logs of 100,000, 500,000 and 1,000,000 rows (the first rows of one generated log) in
the format the upload accepts (``case,activity,start,end,resource``, see ``processes/selectors/mapping.py``)
to ``var/bench_eventlog_<rows>.csv``: 200,000 cases of order processing (five activities; one in
ten cases loops back to a second review), written in time order, so a case's events are spread over
thousands of lines as in a real export. Each file is then imported in a fresh Python process through
the upload's code path (the page's ``UploadForm`` over the file on disk, as Django hands over an
upload spooled to a temporary file, then ``processes.selectors.mapping.discover``); the process reports its
peak RSS (``resource.getrusage``) and the RSS before the import. Memory is constant when the peak
grows by less than ``--growth-mb`` (20 MB) from 100,000 to 1,000,000 rows; the script also fails
when a peak is above ``--limit-mb``, or the discovery does not count every case and event. The
import needs no database (Django is set up on the default SQLite settings).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess  # nosec B404: runs this script again, a fixed command line
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import reference

REPO = Path(__file__).resolve().parents[1]
SIZES = (100_000, 500_000, 1_000_000)
ACTIVITIES = (
    ("Order received", "sales", 0.1),
    ("Sales review", "sales", 2.0),
    ("Stock check", "warehouse", 1.0),
    ("Pick and pack", "warehouse", 1.5),
    ("Hand-off to logistics", "logistics", 0.5),
)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_logs(rows: int, sizes: tuple[int, ...], seed: int = 7) -> dict[int, Path]:
    """Event logs of ``sizes`` rows each (prefixes of one log), written in time order."""
    paths = {n: REPO / "var" / f"bench_eventlog_{n}.csv" for n in sizes}
    if all(p.exists() and p.stat().st_size > 0 for p in paths.values()):
        stamp = paths[max(sizes)].with_suffix(".json")
        if stamp.exists() and json.loads(stamp.read_text()) == {"rows": rows, "seed": seed}:
            return paths
    rng = random.Random(seed)
    (REPO / "var").mkdir(exist_ok=True)
    files = {n: paths[n].open("w", encoding="utf-8", newline="") for n in sizes}
    for f in files.values():
        f.write("case,activity,start,end,resource\n")
    written, case, clock = 0, 0, datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
    t0 = time.perf_counter()
    while written < rows:
        chunk = []  # 500 cases started within a few hours: their events interleave
        for _ in range(500):
            case += 1
            clock += timedelta(seconds=rng.randrange(20, 90))
            t = clock
            steps = list(ACTIVITIES)
            if rng.random() < 0.1:
                steps.insert(2, ACTIVITIES[1])  # sent back to a second review
            for name, role, hours in steps:
                t += timedelta(seconds=int(rng.expovariate(1 / (hours * 1800))))
                end = t + timedelta(seconds=int(rng.expovariate(1 / (hours * 3600))) + 60)
                chunk.append((t, end, f"SO-{case:07d}", name, f"{role}-{rng.randrange(1, 13)}"))
                t = end
        chunk.sort()
        for start, end, case_id, name, who in chunk:
            if written >= rows:
                break
            line = f"{case_id},{name},{start:%Y-%m-%d %H:%M:%S},{end:%Y-%m-%d %H:%M:%S},{who}\n"
            for n, f in files.items():
                if written < n:
                    f.write(line)
            written += 1
    for f in files.values():
        f.close()
    paths[max(sizes)].with_suffix(".json").write_text(json.dumps({"rows": rows, "seed": seed}))
    print(f"wrote {rows:,} events in {time.perf_counter() - t0:.0f} s to {paths[max(sizes)]}", flush=True)
    return paths


def child(path: str) -> None:
    """One import in this process: the upload form over the file, then the discovery; prints JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"
    import django

    django.setup()
    from django.core.files.uploadedfile import UploadedFile

    from opsflow.forms import UploadForm
    from processes.selectors import mapping

    before = _rss_mb()
    t0 = time.perf_counter()
    with open(path, "rb") as handle:
        upload = UploadedFile(handle, name=Path(path).name, content_type="text/csv", size=os.path.getsize(path))
        # as EventLogView.post: the same form, the same limits, the file handed over as Django does
        form = UploadForm(files={"file": upload}, data={}, extensions=(".csv",), max_bytes=200 * 2**20)
        if not form.is_valid():
            raise SystemExit(f"the form refused the file: {form.errors.as_text()}")
        result = mapping.discover(form.cleaned_data["file"].file)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "cases": result.cases,
                "events": result.events,
                "errors": result.errors[:3],
                "activities": [(a.name, a.count, round(a.mean, 3), round(a.p90, 3)) for a in result.activities],
                "rss_before_mb": round(before, 1),
                "peak_mb": round(peak, 1),
                "seconds": round(seconds, 1),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the largest log")
    parser.add_argument("--limit-mb", type=float, default=150, help="peak RSS allowed for one import")
    parser.add_argument("--growth-mb", type=float, default=20, help="peak growth allowed from smallest to largest")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    sizes = tuple(sorted({*(n for n in SIZES if n < args.rows), args.rows}))
    paths = write_logs(args.rows, sizes)
    print(f"\nload average {reference.load()}")
    print(f"{'rows':>10} {'cases':>9} {'events':>10} {'RSS before':>11} {'peak RSS':>10} {'time':>8}")
    peaks, failed = [], False
    for n in sizes:
        out = subprocess.run(  # nosec B603: this script, a fixed command line
            [sys.executable, "-m", "bench.eventlog", "--child", str(paths[n])],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"the import of {n:,} rows failed:\n{out.stderr[-2000:]}")
            return 1
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        peaks.append(figures["peak_mb"])
        print(
            f"{n:>10,} {figures['cases']:>9,} {figures['events']:>10,} {figures['rss_before_mb']:>8.0f} MB "
            f"{figures['peak_mb']:>7.0f} MB {figures['seconds']:>6.1f} s",
            flush=True,
        )
        if figures["events"] != n or figures["errors"]:
            print(f"  expected {n:,} events and no errors, got {figures['events']:,} and {figures['errors']}")
            failed = True
        if figures["peak_mb"] > args.limit_mb:
            print(f"  peak RSS above {args.limit_mb:.0f} MB")
            failed = True
    growth = peaks[-1] - peaks[0]
    print(
        f"\nevent-log import peak RSS = {peaks[-1]:.0f} MB at {sizes[-1]:,} rows, {growth:+.0f} MB from "
        f"{sizes[0]:,} rows; load average {reference.load()}; {reference.line()}"
    )
    if growth > args.growth_mb:
        print(f"memory grows with the file: {growth:.0f} MB more (allowed {args.growth_mb:.0f} MB)")
        failed = True
    if not failed:
        print("the import streams in constant memory")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
