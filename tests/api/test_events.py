"""Bulk event ingestion: batches from another system become runs and steps that metrics and the
event-log map read like runs done in OpsFlow; all or nothing, idempotent, 400/413 for bad input."""

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from metrics import selectors as metric_selectors
from metrics.models import Indicator
from opsflow import demo
from processes.models import Process, Run, WorkItem
from processes.selectors import mapping

pytestmark = pytest.mark.django_db

URL = "/api/v1/work/events/"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def standards(org):
    demo.load_processes()


@pytest.fixture
def reporter(org, standards):
    """The order system's account in Head office: an integration account that reports the steps of
    the people of Sales and Warehouse (whom it names as actors)."""
    from django.contrib.auth.models import Group

    from processes.choices import Role
    from processes.models import IntegrationAccount, User

    departments = org["departments"]
    account = User.objects.create_user("oms", password="x", department=departments["head-office"])
    account.groups.add(Group.objects.get(name=Role.OPS_STAFF))
    integration = IntegrationAccount.objects.create(user=account, updated_by=org["users"]["manager"])
    integration.departments.set([departments["sales"], departments["warehouse"]])
    return account


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ).isoformat()


def order(case, *steps):
    """Events of one order: (step, started, finished[, actor])."""
    return [
        {"process": "order-processing", "case": case, "step": s[0], "started": s[1], "finished": s[2]}
        | ({"actor": s[3]} if len(s) > 3 else {})
        for s in steps
    ]


BATCH = order(
    "SO-1",
    ("Sales reviews the order", at(2, 9), at(2, 10), "sales"),
    ("Warehouse confirms stock", at(2, 13), at(2, 13, 30), "warehouse"),
) + order("SO-2", ("Sales reviews the order", at(3, 9), at(3, 14)))


def test_a_batch_becomes_runs_with_the_fact_columns_of_runs_in_opsflow(api, users, standards, reporter):
    client = api(reporter)
    response = client.post(URL, {"events": BATCH}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "events": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "runs_created": 2,
        "runs_updated": 0,
    }
    run = Run.objects.get(external_id="SO-1")
    assert (run.source, run.status, run.version.status) == ("events", "done", "published")
    assert run.cycle_seconds == 4 * 3600 + 30 * 60 and run.department.code == "sales"
    review, stock = run.items.order_by("position")
    assert review.step.name_en == "Sales reviews the order" and review.completed_by == users["sales"]
    assert (review.waiting_seconds, review.working_seconds, review.duration_seconds) == (0, 3600, 3600)
    # the stock check became available when the review finished: 3 h waiting, 30 min working
    assert (stock.waiting_seconds, stock.working_seconds, stock.duration_seconds) == (3 * 3600, 1800, 3.5 * 3600)
    assert stock.actor == "warehouse" and stock.completed_by == users["warehouse"]
    assert stock.department.code == "warehouse" and stock.reported_by == reporter
    assert stock.due_at is not None and stock.on_time is not None  # the standard's 1 working hour

    # metrics count them like runs done in OpsFlow
    process = Process.objects.get(code="order-processing")
    cycle = metric_selectors.computed_value(
        Indicator.objects.get(code="cycle-time"), process.pk, date(2026, 3, 1), date(2026, 3, 31)
    )
    assert cycle.n == 2 and cycle.value == ((4.5 + 5) / 2).__round__(4)
    # and the effect tables' batch, which reads the steps by their process
    step_time = Indicator.objects.get(code="step-time")
    batch = metric_selectors.computed_values([step_time], process.pk, date(2026, 3, 1), date(2026, 3, 31))
    assert batch[step_time.pk].n == 3 and set(run.items.values_list("process", flat=True)) == {process.pk}


def test_the_same_batch_again_stores_nothing_new(api, users, standards, reporter):
    client = api(reporter)
    client.post(URL, {"events": BATCH}, format="json")
    again = client.post(URL, {"events": BATCH}, format="json")
    assert again.status_code == 200
    assert again.json()["created"] == 0 and again.json()["unchanged"] == 3
    assert WorkItem.objects.filter(run__source="events").count() == 3


def test_a_later_batch_extends_a_case_and_recomputes_it(api, users, standards, reporter):
    client = api(reporter)
    client.post(URL, {"events": BATCH}, format="json")
    later = order("SO-2", ("Warehouse confirms stock", at(3, 15), at(3, 16)))
    changed = order("SO-1", ("Warehouse confirms stock", at(2, 13), at(2, 14), "warehouse"))
    response = client.post(URL, {"events": later + changed}, format="json")
    assert response.json() | {} == {
        "events": 2,
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "runs_created": 0,
        "runs_updated": 2,
    }
    run = Run.objects.get(external_id="SO-2")
    assert run.cycle_seconds == 7 * 3600 and [i.position for i in run.items.order_by("started_at")] == [1, 2]
    assert Run.objects.get(external_id="SO-1").cycle_seconds == 5 * 3600


def test_one_bad_event_refuses_the_whole_batch_with_per_item_errors(api, users, standards, reporter):
    bad = [*BATCH]
    bad[1] = {**bad[1], "finished": at(1, 9)}
    bad.append({"process": "nope", "case": "X", "step": "s", "started": "soon", "finished": at(1, 9)})
    response = api(reporter).post(URL, {"events": bad}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"3"} and "started" in errors["3"]  # shapes first
    bad[3]["started"] = at(1, 8)
    errors = api(reporter).post(URL, {"events": bad}, format="json").json()["errors"]
    assert set(errors) == {"1", "3"}
    assert errors["1"] == {"finished": ["The step finishes before it starts."]} and "process" in errors["3"]
    assert not Run.objects.filter(source="events").exists()


def test_a_moment_before_1900_is_refused(api, users, standards, reporter):
    ancient = [{**BATCH[0], "started": "0010-01-01T09:00:00+08:00"}]
    response = api(reporter).post(URL, {"events": ancient}, format="json")
    assert response.status_code == 400 and "started" in response.json()["errors"]["0"]


def test_a_case_run_inside_opsflow_is_refused(api, users, standards, reporter):
    client = api(users["sales"])
    client.post("/api/v1/work/runs/", {"process": "order-processing", "external_id": "SO-1"}, format="json")
    response = api(reporter).post(URL, {"events": BATCH}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"0", "1"}


def test_too_many_events_or_too_large_a_body_is_413(api, users, standards, reporter, settings):
    client = api(reporter)
    many = {"events": [BATCH[0]] * 10_001}
    response = client.post(URL, many, format="json")
    assert response.status_code == 413 and "10,000" in response.json()["detail"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(URL, {"events": BATCH * 10}, format="json")
    assert response.status_code == 413 and "smaller batches" in response.json()["detail"]
    # forms too (Django refuses them itself; the API answers 413 in JSON rather than a 400 page)
    response = client.post("/api/v1/work/runs/", {"title": "x" * 2000})
    assert response.status_code == 413 and "smaller batches" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    ['{"events": [', '"events"', "[]", '{"events": "x"}', '{"events": []}', '{"events": [1, null]}', "\xff"],
)
def test_malformed_bodies_are_400(api, users, standards, reporter, body):
    response = api(reporter).post(URL, body.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400, response.content


def test_events_feed_the_event_log_map_and_can_be_read_back(api, users, standards, reporter):
    client = api(reporter)
    client.post(URL, {"events": BATCH}, format="json")
    rows = client.get(URL + "?process=order-processing&source=events").json()["results"]
    assert [(r["case"], r["step"], r["actor"]) for r in rows] == [
        ("SO-1", "Sales reviews the order", "sales"),
        ("SO-1", "Warehouse confirms stock", "warehouse"),
        ("SO-2", "Sales reviews the order", "oms"),  # no actor sent: the account itself
    ]
    found = mapping.discover_runs(process=Process.objects.get(code="order-processing"))
    assert found.cases == 2 and found.events == 3
    assert [a.name for a in found.activities] == ["Sales reviews the order", "Warehouse confirms stock"]
    assert ("Sales reviews the order", "Warehouse confirms stock", 1) in found.transitions


def test_ten_thousand_events_in_one_batch(api, users, standards, reporter):
    start = datetime(2026, 4, 1, 9, tzinfo=TZ)
    events = []
    for n in range(5000):
        began = start + timedelta(minutes=n)
        events += order(
            f"BULK-{n}",
            ("Sales reviews the order", began.isoformat(), (began + timedelta(hours=1)).isoformat()),
            (
                "Warehouse confirms stock",
                (began + timedelta(hours=2)).isoformat(),
                (began + timedelta(hours=3)).isoformat(),
            ),
        )
    body = json.dumps({"events": events})
    assert len(body) < 10 * 1024 * 1024
    response = api(reporter).post(URL, body, content_type="application/json")
    assert response.status_code == 200, response.content[:500]
    assert response.json()["created"] == 10_000 and response.json()["runs_created"] == 5000
    assert WorkItem.objects.filter(run__source="events", waiting_seconds=3600).count() == 5000


def test_the_event_log_page_maps_the_recorded_runs(api, users, standards, reporter, client):
    from processes.models import ImprovementProject

    demo.load_projects()
    api(reporter).post(URL, {"events": BATCH}, format="json")
    process = Process.objects.get(code="order-processing")
    project = ImprovementProject.objects.filter(processes=process).first()
    client.force_login(users["specialist"])
    html = client.get(f"/projects/{project.pk}/event-log/?process={process.pk}").content.decode()
    assert "2 cases, 3 events" in html and "Warehouse confirms stock" in html


def test_reported_runs_show_in_the_run_pages(api, users, standards, reporter, client):
    api(reporter).post(URL, {"events": BATCH}, format="json")
    run = Run.objects.get(external_id="SO-1")
    client.force_login(users["manager"])
    assert "SO-1" in client.get("/work/runs/").content.decode()
    page = client.get(f"/work/runs/{run.pk}/")
    assert page.status_code == 200 and "Warehouse confirms stock" in page.content.decode()
