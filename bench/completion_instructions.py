"""Machine instructions of one REST step completion in Python, counted by valgrind: a figure that does
not move with the machine's speed or load, for comparing two versions of the hot path.

Usage (after ``python -m bench.load`` has created and seeded its database; needs Debian's valgrind):
    DATABASE_URL=postgres://opsflow:opsflow@127.0.0.1:5432/bench_load REDIS_URL=redis://127.0.0.1:6379/1 \
        python -m bench.completion_instructions

It runs ``bench.completion_cpu`` under ``valgrind --tool=callgrind`` twice, with ``--few`` and
``--many`` completions (after the same 20 to warm up), and divides the difference of the two totals by
the difference of the counts: start-up, imports and the warm-up cancel out. The PostgreSQL server is
not counted (``bench.completion_cpu`` reports its CPU). Under valgrind Python runs about 20 times
slower: the default 10 and 40 take about four minutes. Run it in each checkout (``git worktree``) of a
comparison, once the checkout has run anything (its first run also compiles the bytecode files).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys


def instructions(count: int) -> int:
    result = subprocess.run(  # noqa: S603 (our own module, under valgrind)  # nosec B603
        [
            *("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"),
            *(sys.executable, "-m", "bench.completion_cpu", "--count", str(count)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or found is None:
        sys.exit(f"bench.completion_cpu under valgrind failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return int(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--few", type=int, default=10, help="completions of the first run")
    parser.add_argument("--many", type=int, default=40, help="completions of the second run")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("bench.completion_instructions needs valgrind (apt-get install -y valgrind)")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench.completion_instructions needs the PostgreSQL database of bench.load in DATABASE_URL")
    few, many = instructions(args.few), instructions(args.many)
    per = (many - few) / (args.many - args.few)
    print(
        f"REST completion in Python: {per / 1e6:.2f} million instructions each "
        f"({args.few} completions: {few:,}; {args.many}: {many:,}; valgrind callgrind)"
    )


if __name__ == "__main__":
    main()
