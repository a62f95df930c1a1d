"""processes.compiled.CompiledRead gives what the ORM gives for the same queryset, for every shape."""

import pytest
from django.db import transaction
from django.db.models import Q

from processes import demo
from processes.compiled import CompiledRead
from processes.models import StandardVersion, WorkItem
from processes.services import execution

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
        execution.run_start(version=version, user=users["sales"], external_id=f"C-{number}")
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
    run, _ = execution.run_start(version=version, user=users["sales"])
    review = run.items.get(position=2)
    visible = execution.visible_to(users["sales"])
    with transaction.atomic():
        (locked,) = execution._LOCKING_READ_VISIBLE(review.pk, visible.departments, visible.user_id)
    assert locked.pk == review.pk and locked.flow_task.process.data["steps"][1]["title_en"] == review.title_en
    assert "scheduled" in locked.flow_task.get_deferred_fields()  # what the flows never read is left out
    other = execution.visible_to(users["cs"])
    with transaction.atomic():
        assert execution._LOCKING_READ_VISIBLE(review.pk, other.departments, other.user_id) == []


def test_a_query_with_values_of_its_own_is_refused(org):
    read = CompiledRead(lambda pk: WorkItem.objects.filter(pk=pk, position=3))
    with pytest.raises(ValueError, match="parameters other than"):
        read(1)
