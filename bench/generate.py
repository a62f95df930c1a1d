"""The benchmarks' data generator: the demo world, more people per department, then up to 1,000,000
task rows (work items) with their runs, written in bulk.

Importable (``generate.ensure_seeded(items=...)``) and a command:
    DATABASE_URL=postgres://opsflow:opsflow@127.0.0.1:5432/bench_gen python -m bench.generate --items 1000000
The PostgreSQL database is created when it does not exist (the role must be allowed to) and migrated.
With no DATABASE_URL it runs on SQLite in ``var/bench_dashboards.sqlite3``.

What is written: the demo world (organisation, standards, projects, the pilot, the effect
evaluation), a newer published version of order processing (runs exist before and after a
standard), ``--people`` ops staff in every department (so a clerk's queue is shared as in a real
team), then runs started in time order over the last 365 days: 70% order processing (sales
departments), 30% complaint handling (customer service), 20,000 (at most a tenth) attributed to
the demo pilot, half pilot and half control. Every run has one task row per step (four here) with
waiting and working times drawn from exponential distributions (slower before the new standard and
in the control group), deadlines from the step's time limit, on-time flags, 3% failed checks, a
first-level escalation on 40% of late steps, 2% of runs with an exception and its follow-up work.
Runs started in the last ``--backlog-days`` days are half of them still at work: their current step
is open, a third of those claimed by one of the department's people. Rows are written with ``COPY``
on PostgreSQL (``bulk_create`` in batches on SQLite) in one transaction; ids are given explicitly
and the sequences reset afterwards. Generated runs have ``external_id`` ``BENCH-<n>``: ``unseed()``
deletes exactly them (with their work, escalations and pilot links).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
PREFIX = "BENCH-"  # external id of every generated run
PEOPLE_PREFIX = "bench-"  # username of every generated person


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when it does not exist yet."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return
    import psycopg2
    from psycopg2 import sql

    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}", flush=True)
    finally:
        connection.close()


def setup_django(sqlite_name: str = "bench_dashboards.sqlite3") -> None:
    """Django on ``DATABASE_URL`` (created if missing; SQLite in ``var/`` without it), migrated; Celery
    eager and mail kept in memory, so nothing here needs a broker or a mail server."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.base")
    os.environ["DJANGO_DEBUG"] = "false"
    if not os.environ.get("DATABASE_URL"):
        (REPO / "var").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{REPO / 'var' / sqlite_name}"
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings

    from opsflow.celery import app

    app.conf.task_always_eager = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Bulk writing
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


# The world
# ------------------------------------------------------------------------------


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


def people(per_department: int) -> dict[int, list[int]]:
    """``per_department`` ops staff (``bench-<department>-<n>``, no usable password) in every
    department, reporting to its head; returns the ops staff's ids by department (demo people too)."""
    from django.contrib.auth.models import Group

    from processes.choices import Role
    from processes.models import Department, User

    group = Group.objects.get(name=Role.OPS_STAFF)
    for department in Department.objects.all():
        for n in range(1, per_department + 1):
            username = f"{PEOPLE_PREFIX}{department.code}-{n}"
            if User.objects.filter(username=username).exists():
                continue
            user = User(
                username=username,
                first_name=f"{department.name_en} {n}",
                email=f"{username}@opsflow.example",
                department=department,
                supervisor=department.head,
            )
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
    staff: dict[int, list[int]] = {}
    for pk, department_id in (
        User.objects.filter(groups=group, is_active=True).order_by("pk").values_list("pk", "department_id")
    ):
        staff.setdefault(department_id, []).append(pk)
    return staff


def seed(items: int, rng: random.Random, *, per_department: int = 12, backlog_days: int = 5) -> dict:
    """The demo world, more people, then ``items`` work items (and their runs, pilot links, escalations
    and exception follow-ups)."""
    from django.db import transaction
    from django.utils import timezone

    from opsflow import demo
    from pilots.models import Pilot, PilotRun
    from processes.models import Department, Escalation, ExceptionPlan, Run, StandardVersion, User, WorkItem

    started = time.perf_counter()
    with transaction.atomic():
        demo.load_all()
        staff = people(per_department)
    users = {u.username: u for u in User.objects.filter(username__in=[row[0] for row in demo.USERS])}
    current = _newer_standard(users)
    old = StandardVersion.objects.get(process__code="order-processing", number=1)
    pilot = Pilot.objects.get(name_en="Regional sales team pilot")
    trial = pilot.version
    complaint = StandardVersion.objects.get(process__code="complaint-handling", status="published")
    departments = {d.code: d.pk for d in Department.objects.all()}
    print(f"demo world and {sum(map(len, staff.values()))} ops staff loaded in {time.perf_counter() - started:.1f} s")

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

    versions = (old, current, trial, complaint)
    plans = {v.pk: steps_of(v) for v in versions}
    exception_plans = {v.pk: list(ExceptionPlan.objects.filter(version=v).order_by("pk")) for v in versions}
    now = timezone.now().replace(microsecond=0)
    year = timedelta(days=365)
    switch = now - timedelta(days=120)  # v3 published four months ago, as far as the runs tell
    pilot_start = now - timedelta(days=10)
    backlog_from = now - timedelta(days=backlog_days)
    sales = [departments[c] for c in ("sales", "sales-east", "sales-south") if c in departments]
    who = users["sales"].pk
    runs_w, items_w = Writer(Run, now), Writer(WorkItem, now)
    links_w, escalations_w = Writer(PilotRun, now), Writer(Escalation, now)
    run_id, item_id = _next_id(Run), _next_id(WorkItem)
    link_id, escalation_id = _next_id(PilotRun), _next_id(Escalation)
    process_of = {v.pk: v.process_id for v in versions}  # the run's process, copied onto its work
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
        steps = plans[version.pk]
        # some recent runs are still at work: at one of their manual steps
        stop = None
        if start > backlog_from and rng.random() < 0.5:
            stop = rng.choice([i for i, s in enumerate(steps) if not s["automatic"]] or [len(steps) - 1])
        last_item = None
        for index, step in enumerate(steps):
            created = t
            if step["automatic"]:
                wait, work = 0, 0
            else:
                wait = int(rng.expovariate(1 / (1500 * pace)))
                work = int(rng.expovariate(1 / (1800 * pace)))
            due = created + timedelta(seconds=step["limit"]) if step["limit"] and not step["automatic"] else None
            finished = created + timedelta(seconds=wait + work)
            is_open = index == stop or finished > now
            on_time = None if due is None or is_open else finished <= due
            all_on_time = all_on_time and on_time is not False
            failed = rng.random() < 0.03 * pace if step["checks"] and not is_open else False
            level = 1 if on_time is False and rng.random() < 0.4 else 0
            team = staff.get(step["department"]) or [who]
            claimed_by = rng.choice(team) if is_open and not step["automatic"] and rng.random() < 1 / 3 else None
            status = ("claimed" if claimed_by else "open") if is_open else "done"
            items_w.add(
                id=item_id,
                kind="step",
                run_id=run_id,
                process_id=process_of[version.pk],
                step_id=step["id"],
                position=step["position"],
                title_en=step["title_en"],
                title_zh=step["title_zh"],
                department_id=step["department"],
                role=step["role"],
                automatic=step["automatic"],
                status=status,
                assignee_id=claimed_by,
                created_at=created,
                assigned_at=created + timedelta(seconds=wait) if claimed_by else None,
                started_at=None if is_open else created + timedelta(seconds=wait),
                finished_at=None if is_open else finished,
                due_at=due,
                completed_by_id=None if is_open or step["automatic"] else rng.choice(team),
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
            last_item = (item_id, step, created, is_open)
            item_id += 1
            if is_open:
                run_open = True
                break
            t = finished
        has_exception = rng.random() < 0.02
        if has_exception and exception_plans[version.pk] and last_item:
            # the exception's follow-up: open while its run is at work, else done within the day
            parent_id, step, created, is_open = last_item
            plan = rng.choice(exception_plans[version.pk])
            done_at = min(now, created + timedelta(seconds=int(rng.expovariate(1 / 7200))))
            items_w.add(
                id=item_id,
                kind="exception",
                run_id=run_id,
                process_id=process_of[version.pk],
                parent_id=parent_id,
                exception_plan_id=plan.pk,
                position=step["position"],
                title_en=f"{plan.trigger_en}: {plan.action_en}".strip(": "),
                title_zh=f"{plan.trigger_zh or plan.trigger_en}：{plan.action_zh or plan.action_en}",
                department_id=plan.department_id or step["department"],
                role=step["role"],
                status="open" if is_open else "done",
                created_at=created,
                started_at=None if is_open else created,
                finished_at=None if is_open else done_at,
                due_at=created + timedelta(hours=8),
                completed_by_id=None if is_open else who,
            )
            item_id += 1
        done = not run_open
        runs_w.add(
            id=run_id,
            version_id=version.pk,
            department_id=department,
            external_id=f"{PREFIX}{number}",
            title=f"Benchmark run {number}",
            status="done" if done else "active",
            started_at=start,
            finished_at=t if done else None,
            started_by_id=who,
            cycle_seconds=int((t - start).total_seconds()) if done else None,
            on_time=all_on_time if done else None,
            has_exception=has_exception,
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

    from pilots.models import PilotRun
    from processes.models import Escalation, Run, WorkItem

    bench = {"run__external_id__startswith": PREFIX}
    with transaction.atomic():
        Escalation.objects.filter(**{f"work_item__{k}": v for k, v in bench.items()})._raw_delete(connection.alias)
        PilotRun.objects.filter(**bench)._raw_delete(connection.alias)
        WorkItem.objects.filter(**bench).exclude(parent=None)._raw_delete(connection.alias)
        WorkItem.objects.filter(**bench)._raw_delete(connection.alias)
        Run.objects.filter(external_id__startswith=PREFIX)._raw_delete(connection.alias)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


def seeded() -> bool:
    from processes.models import Run

    return Run.objects.filter(external_id__startswith=PREFIX).exists()


def ensure_seeded(*, items: int = 1_000_000, seed_value: int = 7, reseed: bool = False, **options) -> dict | None:
    """Seed (after ``unseed()`` when ``reseed``) unless generated runs are there already; returns the
    counts written, or ``None`` when the existing seed is reused. Django must be set up."""
    if reseed:
        unseed()
    if seeded():
        return None
    t0 = time.perf_counter()
    counts = seed(items, random.Random(seed_value), **options)
    counts["seconds"] = time.perf_counter() - t0
    print(
        f"seeded {counts['runs']:,} runs, {counts['items']:,} work items, {counts['escalations']:,} "
        f"escalations, {counts['links']:,} pilot links in {counts['seconds']:.0f} s",
        flush=True,
    )
    analyze()
    return counts


def log_in(client, user) -> None:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="work items (task rows) to write")
    parser.add_argument("--people", type=int, default=12, help="ops staff added to every department")
    parser.add_argument("--backlog-days", type=int, default=5, help="runs started this recently may be at work")
    parser.add_argument("--reseed", action="store_true", help="delete the generated rows and write them again")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated data")
    args = parser.parse_args()
    setup_django()
    counts = ensure_seeded(
        items=args.items,
        seed_value=args.seed,
        reseed=args.reseed,
        per_department=args.people,
        backlog_days=args.backlog_days,
    )
    if counts is None:
        print("generated rows are there already (--reseed writes them again)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
