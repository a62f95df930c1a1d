"""Start the web server and a Celery worker with embedded beat; stop both on Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

HOST = os.environ.get("OPSFLOW_HOST", "127.0.0.1")
PORT = os.environ.get("OPSFLOW_PORT", "8000")


def main() -> int:
    python = sys.executable
    procs = [
        subprocess.Popen([python, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"]),
        subprocess.Popen(
            [
                python,
                "-m",
                "celery",
                "-A",
                "opsflow",
                "worker",
                "-B",
                "--loglevel=INFO",
                "--concurrency=2",
                "--schedule",
                os.path.join("var", "celerybeat-schedule"),
            ]
        ),
    ]
    print(
        f"\n  OpsFlow is running at http://{HOST}:{PORT}/\n"
        "  Log in as director, manager, specialist, sales, warehouse, logistics, cs, it or admin"
        " (password: demo).\n  Press Ctrl-C to stop.\n",
        flush=True,
    )

    def stop(*_):
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
    finally:
        stop()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    return max(proc.returncode or 0 for proc in procs)


if __name__ == "__main__":
    sys.exit(main())
