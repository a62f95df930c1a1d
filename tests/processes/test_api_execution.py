from datetime import timedelta

import pytest
from django.utils import timezone

from processes import demo
from processes.models import Escalation, WorkItem
from processes.services import work

pytestmark = pytest.mark.django_db


@pytest.fixture
def standards(org):
    demo.load_processes()


def test_start_a_run_by_external_id_twice_returns_the_same_run(api, users, standards):
    client = api(users["sales"])
    first = client.post("/api/v1/work/runs/", {"process": "order-processing", "external_id": "SO-9"}, format="json")
    assert first.status_code == 201, first.json()
    again = client.post("/api/v1/work/runs/", {"process": "order-processing", "external_id": "SO-9"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    items = first.json()["items"]
    assert [(i["position"], i["status"]) for i in items] == [(1, "done"), (2, "open")]


def test_list_claim_and_complete_a_task_and_complete_twice_is_409(api, users, standards):
    client = api(users["sales"])
    run = client.post("/api/v1/work/runs/", {"process": "order-processing"}, format="json").json()
    inbox = client.get("/api/v1/work/items/?inbox=true").json()["results"]
    assert [i["title_en"] for i in inbox] == ["Sales reviews the order"]
    pk = inbox[0]["id"]
    claimed = client.post(f"/api/v1/work/items/{pk}/claim/")
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed"
    done = client.post(f"/api/v1/work/items/{pk}/complete/", {"checks": ["Identity checked"]}, format="json")
    assert done.status_code == 200 and done.json()["checks_failed"] == 2
    again = client.post(f"/api/v1/work/items/{pk}/complete/", {}, format="json")
    assert again.status_code == 409 and "already completed" in again.json()["detail"]
    assert WorkItem.objects.filter(run_id=run["id"], position=3).count() == 1


def test_unknown_check_is_400(api, users, standards):
    client = api(users["sales"])
    client.post("/api/v1/work/runs/", {"process": "order-processing"}, format="json")
    pk = client.get("/api/v1/work/items/?inbox=true").json()["results"][0]["id"]
    response = client.post(f"/api/v1/work/items/{pk}/complete/", {"checks": ["made up"]}, format="json")
    assert response.status_code == 400 and "checks" in response.json()


def test_a_client_reports_an_automatic_step(api, users, standards, departments):
    from processes.models import StandardVersion
    from processes.services import standards as standard_services

    published = StandardVersion.objects.get(process__code="order-processing")
    draft = standard_services.version_new_draft(version=published, user=users["specialist"])
    steps = [{"key": s.key, **{n: getattr(s, n) for n in standard_services.STEP_FIELDS}} for s in draft.steps.all()]
    steps[2]["automatic"] = True  # stock confirmed by the warehouse system
    standard_services.version_save(version=draft, user=users["specialist"], steps=steps)
    standard_services.version_submit(version=draft, user=users["specialist"])
    standard_services.version_approve(version=draft, user=users["manager"])
    standard_services.version_publish(version=draft, user=users["manager"])
    client = api(users["it"])
    run = client.post("/api/v1/work/runs/", {"process": "order-processing"}, format="json").json()
    review = WorkItem.objects.get(run_id=run["id"], position=2)
    work.item_complete(item=review, user=users["sales"])
    stock = WorkItem.objects.get(run_id=run["id"], position=3)
    assert stock.automatic and stock not in list(WorkItem.objects.filter(assignee=users["warehouse"]))
    assert api(users["warehouse"]).post(f"/api/v1/work/items/{stock.pk}/complete/").status_code == 403
    reported = client.post(f"/api/v1/work/items/{stock.pk}/report/")
    assert reported.status_code == 200 and reported.json()["status"] == "done"
    assert WorkItem.objects.get(run_id=run["id"], position=4).status == "open"


def test_other_department_cannot_see_or_complete_over_the_api(api, users, standards):
    api(users["sales"]).post("/api/v1/work/runs/", {"process": "order-processing"}, format="json")
    pk = WorkItem.objects.get(position=2).pk
    client = api(users["cs"])
    assert client.get(f"/api/v1/work/items/{pk}/").status_code == 404
    assert client.post(f"/api/v1/work/items/{pk}/complete/").status_code == 404
    assert client.get("/api/v1/work/items/").json()["results"] == []


def test_escalations_and_notifications_are_readable(api, users, standards):
    start = timezone.now() - timedelta(days=2)
    from processes.models import StandardVersion

    version = StandardVersion.objects.get(process__code="order-processing")
    work.run_start(version=version, user=users["sales"], at=start)
    work.escalation_sweep()
    assert Escalation.objects.count() == 1
    escalations = api(users["manager"]).get("/api/v1/work/escalations/").json()["results"]
    assert [(e["level"], e["target"]) for e in escalations] == [(1, "supervisor")]
    notes = api(users["manager"]).get("/api/v1/work/notifications/").json()["results"]
    assert len(notes) == 1 and notes[0]["read_at"] is None
    marked = api(users["manager"]).post("/api/v1/work/notifications/mark-read/", {}, format="json")
    assert marked.json() == {"marked": 1}
    assert api(users["sales"]).get("/api/v1/work/notifications/").json()["results"] == []


def test_a_completion_records_both_work_items_history_by_the_person_in_a_fixed_number_of_queries(
    api, users, standards, django_assert_max_num_queries
):
    client = api(users["sales"])
    run = client.post("/api/v1/work/runs/", {"process": "order-processing"}, format="json").json()
    review = WorkItem.objects.get(run_id=run["id"], position=2)
    history = WorkItem.history.model.objects
    before = history.count()
    # token, roles and scope, the locking read, 2 work items, their history, the step's task, the gate
    # and the next task with their links, BEGIN/COMMIT
    with django_assert_max_num_queries(15):
        done = client.post(f"/api/v1/work/items/{review.pk}/complete/", {}, format="json")
    assert done.status_code == 200
    assert history.count() == before + 2
    rows = list(history.order_by("-history_id")[:2])
    stock = WorkItem.objects.get(run_id=run["id"], position=3)
    assert sorted((r.id, r.history_type, r.status, r.history_user_id) for r in rows) == sorted(
        [(review.pk, "~", "done", users["sales"].pk), (stock.pk, "+", "open", users["sales"].pk)]
    )
    # the run's flow went through the gate: the next step's task follows a finished gate task
    gate = stock.flow_task.previous.get()
    assert gate.flow_task.name == "advance" and gate.status == "DONE" and gate.data == {"next": 2}
    assert gate.previous.get() == review.flow_task


def test_commands_on_a_follow_up_outside_the_flow_and_on_missing_items(api, users, standards):
    client = api(users["sales"])
    run = client.post("/api/v1/work/runs/", {"process": "order-processing"}, format="json").json()
    review = WorkItem.objects.get(run_id=run["id"], position=2)
    plan = review.run.version.exception_plans.get(trigger_en="Order information missing")
    reported = client.post(f"/api/v1/work/items/{review.pk}/exception/", {"plan": plan.pk}, format="json")
    assert reported.status_code == 201, reported.json()
    follow_up = reported.json()["id"]
    assert WorkItem.objects.get(pk=follow_up).flow_task_id is None
    released = client.post(f"/api/v1/work/items/{follow_up}/release/")
    assert released.status_code == 200 and released.json()["status"] == "open"
    assert client.post(f"/api/v1/work/items/{follow_up}/claim/").json()["assignee"] == users["sales"].pk
    done = client.post(f"/api/v1/work/items/{follow_up}/complete/", {"note": "phone added"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["note"] == "phone added"
    # another department's follow-up, an id that does not exist, one beyond any database integer and one
    # that is not a number: 404
    other = api(users["cs"])
    assert other.post(f"/api/v1/work/items/{follow_up}/complete/", {}, format="json").status_code == 404
    assert other.post(f"/api/v1/work/items/{review.pk}/claim/").status_code == 404
    assert client.post("/api/v1/work/items/999999/complete/", {}, format="json").status_code == 404
    assert client.post(f"/api/v1/work/items/{2**70}/complete/", {}, format="json").status_code == 404
    assert client.post("/api/v1/work/items/abc/claim/").status_code == 404
