"""The effect table and the dashboards over 1,000,000 task rows: each must answer in under 500 ms
(design section 8). Prints a table of figures and exits non-zero when one is slower.

Usage (PostgreSQL, the real target; the database must exist, the script migrates it):
    DATABASE_URL=postgres://opsflow:opsflow@127.0.0.1:5432/opsflow_bench python -m bench.dashboards
With no DATABASE_URL it runs on SQLite in ``var/bench_dashboards.sqlite3``.

The first call seeds the database: the demo world (organisation, standards, projects, the pilot, the
effect evaluation), a newer published version of order processing (so runs exist before and after a
standard), then ``--items`` work items with their runs, spread over the last year: COPY on PostgreSQL,
``bulk_create`` in batches on SQLite. Later calls reuse the seed (``--reseed`` starts again). Then
every measured function runs once to warm up and ``--repeat`` times timed; the median counts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

LIMIT_MS = 500
BENCH_TITLE = "Benchmark: the last 4 months against the 8 before"
SEED_TITLE = "Benchmark: the seed's template 4 indicators"
SEED_CODES = ("cycle-time", "error-rate", "complaint-rate")  # the seed's example effect table
REPO = Path(__file__).resolve().parents[1]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"
    if not os.environ.get("DATABASE_URL"):
        (REPO / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{REPO / 'var' / 'bench_dashboards.sqlite3'}"
    import django

    django.setup()
    from django.conf import settings

    from opsflow.celery import app

    # the demo's notifications stay in this process: no broker, no mail server
    app.conf.task_always_eager = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Seeding
# ------------------------------------------------------------------------------


def _column_defaults(model, now) -> dict:
    """What a column not given by the generator holds: the field's default (``now`` for timestamps)."""
    from django.db import models

    defaults = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            defaults[field.column] = now
        else:
            defaults[field.column] = field.get_default()  # "" for text without a default, None if nullable
    return defaults


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Writer:
    """Rows of one model, given as ``{column: value}`` with explicit ids, written in batches."""

    def __init__(self, model, now, batch: int = 50_000):
        from django.db import connection

        self.model, self.batch, self.rows = model, batch, []
        self.defaults = _column_defaults(model, now)
        self.columns = ["id", *self.defaults]
        self.postgres = connection.vendor == "postgresql"
        self.count = 0

    def add(self, **values) -> None:
        self.rows.append(values)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        from django.db import connection

        if not self.rows:
            return
        if self.postgres:
            buffer = io.StringIO()
            for values in self.rows:
                row = {**self.defaults, **values}
                buffer.write("\t".join(_copy_text(row[c]) for c in self.columns))
                buffer.write("\n")
            buffer.seek(0)
            table = connection.ops.quote_name(self.model._meta.db_table)
            columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        else:
            by_column = {f.column: f.attname for f in self.model._meta.concrete_fields}
            objects = [
                self.model(**{by_column[c]: v for c, v in {**self.defaults, **values}.items()}) for values in self.rows
            ]
            self.model.objects.bulk_create(objects, batch_size=2_000)
        self.count += len(self.rows)
        self.rows = []


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _reset_sequence(model) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def _newer_standard(users):
    """Publish a newer version of order processing (the demo stand-up's draft, v3): v1 becomes history,
    v2 stays on trial in the pilot."""
    from processes.models import StandardVersion
    from processes.services import standards

    current = StandardVersion.objects.get(process__code="order-processing", status="published")
    if current.number >= 3:
        return current
    draft = (
        StandardVersion.objects.filter(process=current.process, status__in=["draft", "submitted", "approved"])
        .order_by("-number")
        .first()
    )
    if draft is None:
        draft = standards.version_new_draft(version=current, user=users["specialist"], change_note="Benchmark")
    if draft.status == "draft":
        draft = standards.version_submit(version=draft, user=users["specialist"])
    if draft.status == "submitted":
        draft = standards.version_approve(version=draft, user=users["director"])
    return standards.version_publish(version=draft, user=users["director"])


def seed(items: int, rng: random.Random) -> dict:
    """The demo world, then ``items`` work items (and their runs, pilot links and escalations)."""
    from django.db import transaction
    from django.utils import timezone

    from pilots.models import Pilot, PilotRun
    from processes import demo
    from processes.models import Department, Escalation, Run, StandardVersion, User, WorkItem

    started = time.perf_counter()
    with transaction.atomic():
        demo.load_all()
    users = {u.username: u for u in User.objects.all()}
    current = _newer_standard(users)
    old = StandardVersion.objects.get(process__code="order-processing", number=1)
    pilot = Pilot.objects.get(name_en="Regional sales team pilot")
    trial = pilot.version
    complaint = StandardVersion.objects.get(process__code="complaint-handling", status="published")
    departments = {d.code: d.pk for d in Department.objects.all()}
    print(f"demo world loaded in {time.perf_counter() - started:.1f} s", flush=True)

    def steps_of(version):
        return [
            {
                "id": s.pk,
                "position": s.position,
                "title_en": s.name_en,
                "title_zh": s.name_zh,
                "department": s.department_id,
                "role": s.role,
                "automatic": s.automatic,
                "limit": float(s.time_limit) * 3600 if s.time_limit is not None else None,
                "checks": len([c for c in s.checks_en.splitlines() if c.strip()]),
            }
            for s in version.steps.order_by("position")
        ]

    plans = {v.pk: steps_of(v) for v in (old, current, trial, complaint)}
    now = timezone.now().replace(microsecond=0)
    year = timedelta(days=365)
    switch = now - timedelta(days=120)  # v3 published four months ago, as far as the runs tell
    pilot_start = now - timedelta(days=10)
    sales = [departments[c] for c in ("sales", "sales-east", "sales-south") if c in departments]
    who = users["sales"].pk
    runs_w, items_w = Writer(Run, now), Writer(WorkItem, now)
    links_w, escalations_w = Writer(PilotRun, now), Writer(Escalation, now)
    run_id, item_id = _next_id(Run), _next_id(WorkItem)
    link_id, escalation_id = _next_id(PilotRun), _next_id(Escalation)
    runs = items // 4  # every standard here has four steps: one task row each
    pilot_runs = min(20_000, runs // 10)
    # one transaction: the foreign keys are checked at its end (a batch of items may precede its runs)
    transaction.set_autocommit(False)
    # Runs start in time order, as in production: a table's rows lie in the order they were written.
    starts = sorted(
        [
            (pilot_start + timedelta(seconds=rng.randrange(int((now - pilot_start).total_seconds()))), n % 2 + 1)
            for n in range(pilot_runs)
        ]
        + [(now - timedelta(seconds=rng.randrange(int(year.total_seconds()))), 0) for _n in range(runs - pilot_runs)]
    )
    for number, (start, group) in enumerate(starts):
        arm = (None, "pilot", "control")[group]
        if arm:  # the pilot's runs: half in East on v2, half in South on the current v3
            version = trial if arm == "pilot" else current
            department = departments.get("sales-east" if arm == "pilot" else "sales-south", sales[0])
        elif rng.random() < 0.3:
            version, department = complaint, departments["customer-service"]
        else:
            version, department = (current if start >= switch else old), rng.choice(sales)
        # slower before the new standard, slower still in the control group
        pace = 1.0 if version.pk in (current.pk, trial.pk) and arm != "control" else 1.6
        t = start
        all_on_time, run_open = True, False
        open_left = start > now - timedelta(hours=6) and rng.random() < 0.5  # some recent runs still at work
        for index, step in enumerate(plans[version.pk]):
            created = t
            last = index == len(plans[version.pk]) - 1
            if step["automatic"]:
                wait, work = 0, 0
            else:
                wait = int(rng.expovariate(1 / (1500 * pace)))
                work = int(rng.expovariate(1 / (1800 * pace)))
            due = created + timedelta(seconds=step["limit"]) if step["limit"] and not step["automatic"] else None
            finished = created + timedelta(seconds=wait + work)
            is_open = open_left and last or finished > now
            on_time = None if due is None or is_open else finished <= due
            all_on_time = all_on_time and on_time is not False
            failed = rng.random() < 0.03 * pace if step["checks"] and not is_open else False
            level = 1 if on_time is False and rng.random() < 0.4 else 0
            items_w.add(
                id=item_id,
                kind="step",
                run_id=run_id,
                step_id=step["id"],
                position=step["position"],
                title_en=step["title_en"],
                title_zh=step["title_zh"],
                department_id=step["department"],
                role=step["role"],
                automatic=step["automatic"],
                status="open" if is_open else "done",
                created_at=created,
                assigned_at=None,
                started_at=None if is_open else created + timedelta(seconds=wait),
                finished_at=None if is_open else finished,
                due_at=due,
                completed_by_id=None if is_open or step["automatic"] else who,
                checks_total=0 if is_open else step["checks"],
                checks_failed=1 if failed else 0,
                waiting_seconds=None if is_open else wait,
                working_seconds=None if is_open else work,
                duration_seconds=None if is_open else wait + work,
                on_time=on_time,
                escalation_level=level,
            )
            if level:
                escalations_w.add(
                    id=escalation_id,
                    work_item_id=item_id,
                    level=1,
                    target="supervisor",
                    created_at=due,
                    due_at=due,
                )
                escalation_id += 1
            item_id += 1
            if is_open:
                run_open = True
                break
            t = finished
        done = not run_open
        runs_w.add(
            id=run_id,
            version_id=version.pk,
            department_id=department,
            external_id=f"BENCH-{number}",
            title=f"Benchmark run {number}",
            status="done" if done else "active",
            started_at=start,
            finished_at=t if done else None,
            started_by_id=who,
            cycle_seconds=int((t - start).total_seconds()) if done else None,
            on_time=all_on_time if done else None,
            has_exception=rng.random() < 0.02,
        )
        if arm:
            links_w.add(id=link_id, pilot_id=pilot.pk, run_id=run_id, arm=arm)
            link_id += 1
        run_id += 1
        if number % 50_000 == 49_999:
            print(f"  {number + 1:,} runs generated", flush=True)
    for writer in (runs_w, items_w, links_w, escalations_w):
        writer.flush()
    transaction.commit()
    transaction.set_autocommit(True)
    for model in (Run, WorkItem, PilotRun, Escalation):
        _reset_sequence(model)
    return {"runs": runs_w.count, "items": items_w.count, "escalations": escalations_w.count, "links": links_w.count}


def unseed() -> None:
    """Delete the generated rows in SQL (the ORM would load a million rows to cascade)."""
    from django.db import connection, transaction

    from metrics.models import Evaluation
    from pilots.models import PilotRun
    from processes.models import Escalation, Run, WorkItem

    bench = {"run__external_id__startswith": "BENCH-"}
    with transaction.atomic():
        Escalation.objects.filter(**{f"work_item__{k}": v for k, v in bench.items()})._raw_delete(connection.alias)
        PilotRun.objects.filter(**bench)._raw_delete(connection.alias)
        WorkItem.objects.filter(**bench)._raw_delete(connection.alias)
        Run.objects.filter(external_id__startswith="BENCH-")._raw_delete(connection.alias)
        Evaluation.objects.filter(title__in=[BENCH_TITLE, SEED_TITLE]).delete()


def bench_evaluation(title: str = BENCH_TITLE, codes: tuple[str, ...] | None = None):
    """An effect evaluation of order processing over every computed indicator (or those of
    ``codes``): the 8 months before version 3 against the 4 months since."""
    from django.utils import timezone

    from metrics import services
    from metrics.models import Evaluation, Indicator
    from processes.models import Process, User

    evaluation = Evaluation.objects.filter(title=title).first()
    if evaluation is not None:
        return evaluation
    indicators = Indicator.objects.filter(code__in=codes) if codes else Indicator.objects.filter(source="computed")
    today = timezone.localdate()
    return services.evaluation_create(
        user=User.objects.get(username="director"),
        process=Process.objects.get(code="order-processing"),
        title=title,
        baseline_start=today - timedelta(days=364),
        baseline_end=today - timedelta(days=121),
        evaluation_start=today - timedelta(days=120),
        evaluation_end=today,
        rows=[
            {"indicator": indicator, "target_kind": "", "target_value": None}
            for indicator in indicators.order_by("code")
        ],
    )


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


# Timing
# ------------------------------------------------------------------------------


def _log_in(client, user) -> None:
    """A session for ``user`` without a login request (login auditing wants a real client address)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


def timed(function, repeat: int) -> list[float]:
    function()  # warm: caches, plans, the ORM's first compile
    durations = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        function()
        durations.append((time.perf_counter() - t0) * 1000)
    return durations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="work items (task rows) to seed")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each function (median counts)")
    parser.add_argument("--reseed", action="store_true", help="delete the benchmark rows and seed again")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated data")
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from metrics import dashboards, services
    from pilots.models import Pilot
    from processes.models import Department, Process, Run, User, WorkItem

    if args.reseed:
        unseed()
    if not Run.objects.filter(external_id__startswith="BENCH-").exists():
        t0 = time.perf_counter()
        counts = seed(args.items, random.Random(args.seed))
        print(
            f"seeded {counts['runs']:,} runs, {counts['items']:,} work items, {counts['escalations']:,} "
            f"escalations, {counts['links']:,} pilot links in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        analyze()
    evaluation = bench_evaluation()
    seed_evaluation = bench_evaluation(SEED_TITLE, SEED_CODES)
    total_items = WorkItem.objects.count()
    translation.activate("en")

    director, manager = User.objects.get(username="director"), User.objects.get(username="manager")
    order = Process.objects.get(code="order-processing").pk
    sales = Department.objects.get(code="sales").pk
    pilot = Pilot.objects.get(name_en="Regional sales team pilot").pk
    cases = [
        (
            f"effect table: compute {evaluation.rows.count()} indicators x 2 periods",
            lambda: services.evaluation_compute(evaluation=evaluation),
        ),
        (
            "effect table: the seed's 3 indicators (cycle time, errors, complaints)",
            lambda: services.evaluation_compute(evaluation=seed_evaluation),
        ),
    ]
    for user in (director, manager):
        cases += [
            (f"overview, {user.username}, last 12 weeks", lambda u=user: dashboards.overview(user=u, params={})),
            (
                f"overview, {user.username}, 12 months, Sales, order processing",
                lambda u=user: dashboards.overview(
                    user=u, params={"days": "365", "department": str(sales), "process": str(order)}
                ),
            ),
            (
                f"process dashboard, {user.username}, order processing, 12 months",
                lambda u=user: dashboards.process_dashboard(user=u, params={"process": str(order)}),
            ),
            (
                f"process dashboard, {user.username}, order processing, 6 months, Sales",
                lambda u=user: dashboards.process_dashboard(
                    user=u, params={"process": str(order), "days": "182", "department": str(sales)}
                ),
            ),
            (
                f"pilot dashboard, {user.username}",
                lambda u=user: dashboards.pilot_dashboard(user=u, params={"pilot": str(pilot)}),
            ),
        ]
    client = Client(SERVER_NAME="localhost")
    _log_in(client, director)
    pages = [
        ("page /metrics/ (director)", "/metrics/"),
        ("page /metrics/process/ (director)", f"/metrics/process/?process={order}"),
        ("page /metrics/pilot/ (director)", f"/metrics/pilot/?pilot={pilot}"),
        ("page effect table (stored rows)", f"/metrics/evaluations/{evaluation.pk}/"),
        ("export one chart as XLSX", f"/metrics/charts/process/step-time.xlsx?process={order}"),
    ]
    for name, path in pages:
        cases.append((name, lambda p=path: client.get(p)))

    print(f"\ndatabase: {connection.vendor}; work items: {total_items:,}; runs: {Run.objects.count():,}")
    print(f"{'what':<72} {'median':>9} {'min':>9} {'max':>9}")
    slow = []
    for name, function in cases:
        durations = timed(function, args.repeat)
        median = statistics.median(durations)
        flag = "  SLOW" if median > LIMIT_MS else ""
        print(f"{name:<72} {median:>6.1f} ms {min(durations):>6.1f} ms {max(durations):>6.1f} ms{flag}", flush=True)
        if median > LIMIT_MS:
            slow.append(name)
    if slow:
        print(f"\n{len(slow)} above {LIMIT_MS} ms: " + "; ".join(slow))
        return 1
    print(f"\nevery figure under {LIMIT_MS} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
