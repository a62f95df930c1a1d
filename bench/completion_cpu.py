"""CPU of one REST step completion, in this process and in its PostgreSQL backend (no server, no load).

Usage (after ``python -m bench.load`` has created and seeded its database):
    DATABASE_URL=postgres://opsflow:opsflow@127.0.0.1:5432/bench_load REDIS_URL=redis://127.0.0.1:6379/1 \
        python -m bench.completion_cpu --count 300

It calls the WSGI application that gunicorn serves (``opsflow.wsgi``) directly with
``POST /api/v1/work/items/{id}/complete/`` and a fresh API token of ``bench-sales-0``: the whole stack
(middleware, token authentication, DRF, the service, viewflow, the audit rows) without HTTP parsing or
threads. The CPU times (``time.process_time`` here, ``/proc`` of the backend) are steadier than a
throughput figure on a shared machine: to compare two versions of the code, run this alternately in
two checkouts (``git worktree``) against the same database; each run completes ``--count`` open steps.
"""

import argparse
import io
import os
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="completions measured (after 20 to warm up)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench.completion_cpu needs the PostgreSQL database of bench.load in DATABASE_URL")
    os.environ.update(DJANGO_SETTINGS_MODULE="opsflow.settings.base", DJANGO_DEBUG="false", OPSFLOW_BENCH="1")
    os.environ.setdefault("DJANGO_CONN_MAX_AGE", "600")

    from django.db import connection

    from bench.load import cpu_seconds
    from opsflow.wsgi import application
    from processes.models import User, WorkItem
    from processes.services import tokens

    user = User.objects.get(username="bench-sales-0")
    secret = tokens.api_token_create(user=user, name="bench-cpu", days=1)[1]
    ids = list(
        WorkItem.objects.filter(
            run__version__process__code="order-processing", position=2, status="open", department=user.department
        ).values_list("pk", flat=True)[: args.count + 20]
    )
    if len(ids) < args.count + 20:
        sys.exit(f"only {len(ids)} open steps: run python -m bench.load --reuse to seed more")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def complete(pk):
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": f"/api/v1/work/items/{pk}/complete/",
            "QUERY_STRING": "",
            "SCRIPT_NAME": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Token {secret}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "2",
            "wsgi.input": io.BytesIO(b"{}"),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        status = []
        body = b"".join(application(environ, lambda line, headers, exc_info=None: status.append(line)))
        if not status[0].startswith("200"):
            sys.exit(f"completion of {pk} answered {status[0]}: {body[:300]!r}")

    for pk in ids[:20]:
        complete(pk)
    wall, cpu, database = time.perf_counter(), time.process_time(), cpu_seconds([backend])
    for pk in ids[20:]:
        complete(pk)
    wall, cpu, database = time.perf_counter() - wall, time.process_time() - cpu, cpu_seconds([backend]) - database
    count = len(ids) - 20
    print(
        f"REST completion in-process: {count} completions, {1000 * wall / count:.2f} ms each; CPU per completion: "
        f"Python {1000 * cpu / count:.2f} ms, PostgreSQL {1000 * database / count:.2f} ms"
    )


if __name__ == "__main__":
    main()
