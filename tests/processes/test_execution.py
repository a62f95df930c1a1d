import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection

from processes import demo
from processes.models import Escalation, Notification, Run, StandardVersion, WorkItem
from processes.services import work

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning in an ordinary working week (not near a holiday)
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def standards(org):
    demo.load_processes()
    return {
        "order": StandardVersion.objects.get(process__code="order-processing", status="published"),
        "complaint": StandardVersion.objects.get(process__code="complaint-handling", status="published"),
    }


def _open_item(run):
    return run.items.get(status__in=["open", "claimed"], kind="step")


def test_the_seed_order_process_end_to_end(standards, users, departments):
    run, created = work.run_start(version=standards["order"], user=users["sales"], external_id="SO-1", at=T0)
    assert created and run.status == "active"
    first = run.items.get(position=1)
    assert first.automatic and first.status == "done"  # the online order itself is the trigger
    review = _open_item(run)
    assert (review.position, review.department.code, review.role) == (2, "sales", "ops_staff")
    assert review.due_at == T0 + timedelta(hours=2)
    assert review in execution_inbox(users["sales"])
    assert review not in execution_inbox(users["warehouse"])

    work.item_claim(item=review, user=users["sales"], at=T0 + timedelta(minutes=10))
    work.item_complete(
        item=review,
        user=users["sales"],
        checks=["Identity checked", "Delivery address complete and consistent"],
        note="ok",
        at=T0 + timedelta(minutes=70),
    )
    review.refresh_from_db()
    assert review.status == "done" and review.checks_failed == 1
    assert (review.created_at, review.started_at, review.finished_at) == (
        T0,
        T0 + timedelta(minutes=10),
        T0 + timedelta(minutes=70),
    )
    stock = _open_item(run)
    assert stock.department.code == "warehouse" and stock.due_at == T0 + timedelta(minutes=70, hours=1)
    assert stock in execution_inbox(users["warehouse"])
    work.item_complete(item=stock, user=users["warehouse"], at=T0 + timedelta(hours=2))
    handoff = _open_item(run)
    work.item_complete(item=handoff, user=users["logistics"], at=T0 + timedelta(hours=3))
    run.refresh_from_db()
    assert run.status == "done" and run.finished_at == T0 + timedelta(hours=3)
    assert run.flow_process.status == "DONE"
    assert run.items.count() == 4
    # viewflow's chain of tasks, each linked to the one before it (its graph and history read these)
    tasks = list(run.flow_process.task_set.order_by("id"))
    names = [task.flow_task.name for task in tasks]
    assert names == ["start", *["perform_step", "advance"] * 4, "end"]
    assert [[p.pk for p in task.previous.all()] for task in tasks] == [[]] + [[t.pk] for t in tasks[:-1]]


def execution_inbox(user):
    from processes.selectors import inbox_list

    return list(inbox_list(user=user))


def test_starting_twice_with_the_same_external_id_returns_the_same_run(standards, users):
    first, created = work.run_start(version=standards["order"], user=users["sales"], external_id="SO-2")
    again, created_again = work.run_start(version=standards["order"], user=users["sales"], external_id="SO-2")
    assert created and not created_again and first.pk == again.pk
    assert Run.objects.count() == 1


def test_overdue_review_escalates_to_the_sales_supervisor_exactly_once(
    standards, users, django_capture_on_commit_callbacks
):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review = _open_item(run)
    work.item_claim(item=review, user=users["sales"], at=T0)
    with django_capture_on_commit_callbacks(execute=True):
        assert work.escalation_sweep(now=T0 + timedelta(hours=1, minutes=59)) == 0
        assert work.escalation_sweep(now=T0 + timedelta(hours=2, minutes=1)) == 1
        assert work.escalation_sweep(now=T0 + timedelta(hours=2, minutes=2)) == 0
    escalation = Escalation.objects.get()
    assert (escalation.work_item, escalation.level) == (review, 1)
    assert list(escalation.recipients.all()) == [users["manager"]]
    notification = Notification.objects.get(kind="escalation")
    assert notification.user == users["manager"] and "Sales reviews the order" in notification.subject_en
    assert [m.to for m in mail.outbox] == [["manager@opsflow.example"]]
    # a retried e-mail task sends nothing again
    assert work.notification_email(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1
    review.refresh_from_db()
    assert review.escalation_level == 1 and review.next_escalation_at is None


def test_second_level_fires_after_its_further_period_and_only_then(standards, users):
    run, _ = work.run_start(version=standards["complaint"], user=users["cs"], at=T0)
    register = _open_item(run)
    work.item_claim(item=register, user=users["cs"], at=T0)
    due = register.due_at
    assert due == T0 + timedelta(hours=2)
    assert work.escalation_sweep(now=due + timedelta(minutes=1)) == 1
    assert work.escalation_sweep(now=due + timedelta(hours=7, minutes=59)) == 0
    assert Escalation.objects.filter(level=2).count() == 0
    assert work.escalation_sweep(now=due + timedelta(hours=8)) == 1
    levels = {e.level: [u.username for u in e.recipients.all()] for e in Escalation.objects.all()}
    assert levels == {1: ["director"], 2: ["director"]}  # cs's supervisor is the director
    assert work.escalation_sweep(now=due + timedelta(days=3)) == 0


def test_completing_or_reassigning_stops_the_chain(standards, users):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review = _open_item(run)
    work.item_reassign(item=review, user=users["manager"], to_user=users["sales"], at=T0 + timedelta(hours=1))
    assert work.escalation_sweep(now=T0 + timedelta(hours=5)) == 0
    assert Notification.objects.filter(kind="assigned", user=users["sales"]).count() == 1
    run2, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review2 = _open_item(run2)
    work.item_complete(item=review2, user=users["sales"], at=T0 + timedelta(hours=3))  # late, but done
    assert work.escalation_sweep(now=T0 + timedelta(hours=5)) == 1  # only run2's next step, not review2
    assert not Escalation.objects.filter(work_item=review2).exists()


def test_unclaimed_overdue_work_escalates_to_the_department_head(standards, users):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    work.escalation_sweep(now=T0 + timedelta(hours=3))
    assert [u.username for u in Escalation.objects.get().recipients.all()] == ["manager"]


def test_user_of_another_department_can_neither_see_nor_complete(standards, users, client):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review = _open_item(run)
    with pytest.raises(PermissionDenied):
        work.item_complete(item=review, user=users["cs"])
    with pytest.raises(PermissionDenied):
        work.item_claim(item=review, user=users["warehouse"])
    client.force_login(users["cs"])
    assert client.get(f"/work/items/{review.pk}/").status_code == 404
    assert client.post(f"/work/items/{review.pk}/complete/").status_code == 404
    review.refresh_from_db()
    assert review.status == "open"


def test_second_completion_is_a_conflict(standards, users):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review = _open_item(run)
    stale = WorkItem.objects.get(pk=review.pk)
    work.item_complete(item=review, user=users["sales"])
    with pytest.raises(work.Conflict):
        work.item_complete(item=stale, user=users["manager"])
    assert run.items.filter(position=3).count() == 1  # no duplicate next step


def test_exception_follow_up_escalates_on_its_own_deadline(standards, users):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review = _open_item(run)
    work.item_claim(item=review, user=users["sales"], at=T0)
    plan = standards["order"].exception_plans.get(trigger_en="Order information missing")
    follow_up = work.exception_report(item=review, user=users["sales"], plan=plan, note="no phone", at=T0)
    assert follow_up.due_at == T0 + timedelta(hours=1) and follow_up.assignee == users["sales"]
    assert follow_up in execution_inbox(users["sales"])
    assert work.escalation_sweep(now=T0 + timedelta(hours=1, minutes=1)) == 1
    assert Escalation.objects.get().work_item == follow_up
    work.item_complete(item=review, user=users["sales"], at=T0 + timedelta(minutes=90))
    work.item_complete(item=follow_up, user=users["sales"], at=T0 + timedelta(minutes=95))
    assert work.escalation_sweep(now=T0 + timedelta(hours=2, minutes=1)) == 0


def test_run_is_done_only_when_follow_ups_are_closed(standards, users):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review = _open_item(run)
    plan = standards["order"].exception_plans.first()
    follow_up = work.exception_report(item=review, user=users["sales"], plan=plan, at=T0)
    for _ in range(3):
        work.item_complete(item=_open_item(run), user=users["admin"])
    run.refresh_from_db()
    assert run.status == "active"
    work.item_complete(item=follow_up, user=users["sales"])
    run.refresh_from_db()
    assert run.status == "done"


def test_sweep_command_runs_the_same_sweep(standards, users, capsys):
    run, _ = work.run_start(
        version=standards["order"], user=users["sales"], at=datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
    )
    call_command("sweep")
    assert "escalated 1 work item(s)" in capsys.readouterr().out
    call_command("sweep")
    assert "escalated 0 work item(s)" in capsys.readouterr().out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_once_on_postgresql(org):
    demo.load_processes()
    users = {u.username: u for u in org["users"].values()}
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    for number in range(30):
        work.run_start(version=version, user=users["sales"], external_id=f"P-{number}", at=T0)
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            results.append(work.escalation_sweep(now=T0 + timedelta(hours=3), fan_out=False))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Escalation.objects.count() == 30
    assert Notification.objects.filter(kind="escalation").count() == 30
    assert sum(results) == 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks across connections need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_users_completing_at_once_one_wins_on_postgresql(org):
    demo.load_processes()
    users = org["users"]
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    run, _ = work.run_start(version=version, user=users["sales"], at=T0)
    item_id = _open_item(run).pk
    barrier = threading.Barrier(2)
    outcomes = []

    def complete(user):
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            work.item_complete(item=WorkItem.objects.get(pk=item_id), user=user)
            outcomes.append("ok")
        except work.Conflict:
            outcomes.append("conflict")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=complete, args=(users[name],)) for name in ("sales", "manager")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert WorkItem.objects.filter(run=run, position=3).count() == 1


def test_run_page_shows_timeline_and_audit_trail(standards, users, client):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review = _open_item(run)
    work.item_claim(item=review, user=users["sales"], at=T0 + timedelta(minutes=5))
    work.item_complete(item=review, user=users["sales"], at=T0 + timedelta(hours=3))
    client.force_login(users["manager"])
    html = client.get(f"/work/runs/{run.pk}/").content.decode()
    assert "Sales reviews the order" in html and "late" in html  # 3 h against a 2 h limit
    assert "Warehouse confirms stock" in html and "Logistics hands off to the courier" in html  # pending
    assert "Audit trail" in html and "Min Wang" in html
    assert html.count("In progress") >= 1


def test_quality_checks_may_be_ticked_in_either_language(standards, users):
    run, _ = work.run_start(version=standards["order"], user=users["sales"], at=T0)
    review = _open_item(run)
    work.item_complete(item=review, user=users["sales"], checks=["已核对身份", "Goods and quantities correct"])
    review.refresh_from_db()
    assert review.checks_passed == ["Identity checked", "Goods and quantities correct"]
    assert (review.checks_total, review.checks_failed) == (3, 1)


def test_every_flow_uses_the_row_lock_that_the_services_reproduce():
    # processes.services.work.locked takes viewflow's lock itself, as one query with the item's
    # row: right only while every flow locks with select_for_update_lock
    from viewflow.workflow import lock

    from processes.flows import ProjectFlow, RunFlow

    assert all(isinstance(flow.lock_impl, lock.SelectForUpdateLock) for flow in (RunFlow, ProjectFlow))
