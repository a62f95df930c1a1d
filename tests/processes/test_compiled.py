"""opsflow.fastpath.compiled.CompiledRead gives what the ORM gives for the same queryset, for every shape."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from viewflow.workflow.models import Task as FlowTask

from opsflow.fastpath import compiled
from opsflow.fastpath.compiled import CompiledInsert, CompiledRead
from processes import access, demo
from processes.models import RunTask, StandardVersion, User, WorkItem
from processes.services import work

pytestmark = pytest.mark.django_db


def _items(pk, departments=None, user_id=None):
    query = WorkItem.objects.select_related("flow_task__process").filter(pk__gte=pk)
    if departments is not None:
        query = query.filter(Q(department__in=departments) | Q(assignee_id=user_id))
    return query.order_by("id")


def _facts(items):
    return [
        (i.pk, i.status, i.created_at, i.escalation_policy, i.flow_task.pk, i.flow_task.data, i.flow_task.process.data)
        for i in items
    ]


def test_compiled_read_equals_the_orm_for_every_shape_and_converts_values(users, org):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    for number in range(3):
        work.run_start(version=version, user=users["sales"], external_id=f"C-{number}")
    first = WorkItem.objects.order_by("id").first().pk
    sales = users["sales"].department_id
    read = CompiledRead(_items)
    shapes = [(first, (), users["sales"].pk), (first, (sales,), 0), (first, (sales, sales + 1, sales + 2), 0)]
    for pk, departments, user_id in shapes * 2:  # the second round runs the compiled SQL again
        expected = list(_items(pk, departments, user_id))
        got = read(pk, departments, user_id)
        assert _facts(got) == _facts(expected)
        assert all(type(i.created_at).__name__ == "datetime" and isinstance(i.escalation_policy, list) for i in got)
    assert read(10**9, (sales,), 0) == []
    # ids no row can have, beyond a bigint or not positive, match nothing (the database would refuse them)
    one = CompiledRead(
        lambda pk, departments, user_id: WorkItem.objects.filter(pk=pk).filter(
            Q(department__in=departments) | Q(assignee_id=user_id)
        )
    )
    assert one(2**70, (sales,), 0) == [] and one(-5, (sales,), 0) == []
    assert [i.pk for i in one(first, (2**64, sales), 2**65)] == [first]
    assert len(read._shapes) == 3  # one compilation per list length


def test_locking_read_locks_and_reads_under_a_transaction(users, org):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    run, _ = work.run_start(version=version, user=users["sales"])
    review = run.items.get(position=2)
    visible = work.visible_to(users["sales"])
    with transaction.atomic():
        (locked,) = work.LOCKING_READ_VISIBLE(review.pk, visible.departments, visible.user_id)
    assert locked.pk == review.pk and locked.flow_task.process.data["steps"][1]["title_en"] == review.title_en
    assert "scheduled" in locked.flow_task.get_deferred_fields()  # what the flows never read is left out
    other = work.visible_to(users["cs"])
    with transaction.atomic():
        assert work.LOCKING_READ_VISIBLE(review.pk, other.departments, other.user_id) == []


def test_a_query_with_values_of_its_own_is_refused(org):
    read = CompiledRead(lambda pk: WorkItem.objects.filter(pk=pk, position=3))
    with pytest.raises(ValueError, match="parameters other than"):
        read(1)


def test_statements_translate_to_numbered_placeholders():
    name, prepare, run = compiled._prepared("SELECT id FROM t WHERE name LIKE '50%%' AND id = %s OR id IN (%s, %s)", 3)
    assert prepare == f"PREPARE {name} AS SELECT id FROM t WHERE name LIKE '50%' AND id = $1 OR id IN ($2, $3)"
    assert run == f"EXECUTE {name}(%s, %s, %s)"
    assert compiled._prepared("SELECT 1", 0)[2] == f"EXECUTE {compiled._prepared('SELECT 1', 0)[0]}"
    assert compiled._prepared("SELECT %s", 1)[0] != compiled._prepared("SELECT %s + 1", 1)[0]
    with pytest.raises(ValueError, match="placeholders"):
        compiled._prepared("SELECT %s", 2)


def _prepared_here():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'opsflow%%'")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="server-side prepared statements are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_hot_reads_are_prepared_once_per_connection_and_again_on_a_new_one(users, org, settings):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    run, _ = work.run_start(version=version, user=users["sales"])
    review = run.items.get(position=2)
    visible = work.visible_to(users["sales"])

    def read():
        with transaction.atomic():
            return [i.pk for i in work.LOCKING_READ_VISIBLE(review.pk, visible.departments, visible.user_id)]

    connection.close()
    assert read() == [review.pk] and read() == [review.pk]
    statements = _prepared_here()
    assert len(statements) == 1 and "FOR UPDATE" in statements[0] and "$1" in statements[0]
    # a role check prepares the roles-and-scope query too, once
    for _ in range(2):
        access.user_roles(User.objects.get(pk=users["sales"].pk))
    assert len(_prepared_here()) == 2
    # a new server session (a restart, CONN_MAX_AGE) has none: they are prepared again, not assumed
    connection.close()
    assert read() == [review.pk] and len(_prepared_here()) == 1
    # a failed transaction does not undo them
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        read()
        raise ZeroDivisionError
    assert read() == [review.pk] and len(_prepared_here()) == 1
    # off (behind a pooler in transaction mode): plain statements, the same answers
    settings.OPSFLOW_PREPARED_STATEMENTS = False
    connection.close()
    assert read() == [review.pk] and _prepared_here() == []


def test_compiled_insert_writes_what_bulk_create_writes(users, org):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    run, _ = work.run_start(version=version, user=users["sales"])
    items = list(run.items.order_by("position"))
    items[0].checks_passed = ["stock", "credit"]  # JSON, datetimes, booleans, empty and set foreign keys
    history = WorkItem.history.model
    tracked = [field.attname for field in history.tracked_fields]
    insert = CompiledInsert(history, [*tracked, "history_date", "history_user_id", "history_type"])
    at = timezone.now()
    before = set(history.objects.values_list("history_id", flat=True))
    insert([[*(getattr(item, name) for name in tracked), at, users["sales"].pk, "~"] for item in items])
    insert([[*(getattr(items[1], name) for name in tracked), at, None, "+"]])  # another row count
    fields = [*tracked, "history_date", "history_user_id", "history_type", "history_change_reason"]
    written = history.objects.exclude(history_id__in=before).order_by("history_id")
    got, ids = list(written.values_list(*fields)), list(written.values_list("history_id", flat=True))
    history.objects.bulk_create(
        [history(history_date=at, history_user=users["sales"], history_type="~", **_tracked(i, tracked)) for i in items]
        + [history(history_date=at, history_user=None, history_type="+", **_tracked(items[1], tracked))]
    )
    expected = history.objects.exclude(history_id__in={*before, *ids}).order_by("history_id")
    want = list(expected.values_list(*fields))
    assert len(got) == len(items) + 1 and got == want
    assert got[0][tracked.index("checks_passed")] == ["stock", "credit"]


def _tracked(item, tracked):
    return {name: getattr(item, name) for name in tracked}


def test_compiled_read_takes_strings_as_values(users):
    read = CompiledRead(
        lambda username, pk: User.objects.filter(username=username, pk__gte=pk).select_related("department")
    )
    sales = users["sales"]
    for _ in range(2):
        (found,) = read("sales", 1)
        assert (found.pk, found.department.name_en) == (sales.pk, sales.department.name_en)
    assert read("sales' OR '1'='1", 1) == [] and read("", 1) == [] and read("sales", sales.pk + 1) == []


def test_compiled_saves_write_read_back_and_keep_djangos_rules(users, org):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    run, _ = work.run_start(version=version, user=users["sales"])
    template = run.items.get(position=2)
    item = WorkItem(
        kind="exception", run=run, parent=template, department=template.department, role="ops_staff",
        title_en="Call back", title_zh="回电", checks_passed=["a", "b"], escalation_policy=[[1, "head", 2]],
        due_at=timezone.now(), created_at=timezone.now(), status="open",
    )  # fmt: skip
    item.save()
    assert item.pk and not item._state.adding and item.updated_at is not None  # the id returned, auto_now set
    fresh = WorkItem.objects.get(pk=item.pk)
    assert (fresh.title_zh, fresh.checks_passed, fresh.escalation_policy, fresh.due_at, fresh.assignee_id) == (
        "回电",
        ["a", "b"],
        [[1, "head", 2]],
        item.due_at,
        None,
    )
    assert fresh.process_id == run.version.process_id  # WorkItem.save's own work still runs
    # update_fields writes only those columns: a change made meanwhile to another one is kept
    WorkItem.objects.filter(pk=item.pk).update(note="meanwhile")
    item.status, item.assignee = "claimed", users["sales"]
    item.save(update_fields=["status", "assignee"])
    fresh.refresh_from_db()
    assert (fresh.status, fresh.assignee_id, fresh.note) == ("claimed", users["sales"].pk, "meanwhile")
    # a whole save writes every column; an expression as a value goes through Django's own compiler
    item.escalation_level = F("escalation_level") + 2
    item.skip_history_when_saving = True  # (simple-history cannot copy an expression into its row)
    item.save()
    del item.skip_history_when_saving
    fresh.refresh_from_db()
    assert (fresh.escalation_level, fresh.note) == (2, "")
    # a row that is gone: Django's own answers (an error for update_fields, an INSERT for a whole save)
    WorkItem.objects.filter(pk=item.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        item.save(update_fields=["status"])
    item.escalation_level = 0
    item.save()
    assert WorkItem.objects.filter(pk=item.pk, status="claimed").exists()
    if connection.vendor == "postgresql":  # and they ran as the connection's prepared statements
        statements = " ".join(_prepared_here())
        assert 'INSERT INTO "processes_workitem"' in statements and 'UPDATE "processes_workitem"' in statements


def test_viewflow_task_rows_of_a_run_are_written_by_compiled_saves(users, org):
    demo.load_processes()
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    run, _ = work.run_start(version=version, user=users["sales"])
    review = run.items.get(position=2)
    work.item_complete(item=review, user=users["sales"], checks=[], note="ok")
    review.refresh_from_db()
    finished = RunTask.objects.get(pk=review.flow_task_id)
    nxt = run.items.get(status="open", kind="step")
    created = RunTask.objects.get(pk=nxt.flow_task_id)
    # the finished task was saved done and the next one created with the run's process, linked to it
    # through the flow's advance gate (a task of its own, created and finished in the same completion)
    assert (finished.status, finished.finished is not None) == ("DONE", True)
    (gate,) = created.previous.all()
    assert (gate.status, list(gate.previous.all())) == ("DONE", [FlowTask.objects.get(pk=finished.pk)])
    assert (created.status, created.process_id) == ("NEW", run.flow_process_id)
    assert created.pk != finished.pk and created.finished is None
    assert isinstance(FlowTask.objects.get(pk=created.pk), FlowTask)  # the same rows under viewflow's model
    if connection.vendor == "postgresql":
        statements = " ".join(_prepared_here())
        assert 'INSERT INTO "viewflow_task"' in statements and 'UPDATE "viewflow_task"' in statements
