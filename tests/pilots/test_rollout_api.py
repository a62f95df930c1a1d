"""The rollout's REST API: create and list with 400s carrying field messages, the same scope and
roles as the pages, the inbox path for milestones and reviews, and the OpenAPI schema."""

from datetime import date

import pytest
from django.contrib.auth.models import Group

from pilots.models import Milestone, MonitoringReview, RolloutPlan
from pilots.services import rollout as services
from processes.models import StandardVersion, User
from tests.pilots.test_rollout import START, at, make_plan

pytestmark = pytest.mark.django_db

API = "/api/v1/rollouts"


@pytest.fixture
def plan(users):
    return make_plan(users)


def test_create_and_list_plans_with_field_messages_on_bad_input(api, users, plan):
    version = StandardVersion.objects.get(process__code="order-processing", status="published")
    client = api(users["specialist"])
    body = {
        "name_en": "Second wave",
        "version": version.pk,
        "owner": users["specialist"].pk,
        "starts_on": "2026-04-01",
        "daily_until": "2026-03-20",
        "ends_on": "2026-03-01",
    }
    bad = client.post(f"{API}/plans/", body, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"daily_until", "ends_on"}
    assert "Daily tracking ends on or after the start date." in bad.json()["daily_until"]
    missing = client.post(f"{API}/plans/", {"name_en": "x"}, format="json")
    assert missing.status_code == 400 and {"version", "owner", "starts_on", "daily_until"} <= set(missing.json())
    assert RolloutPlan.objects.count() == 1

    body.update(daily_until="2026-04-14", ends_on="2026-06-30")
    created = client.post(f"{API}/plans/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "planned" and created.json()["created_by"] == users["specialist"].pk
    listed = client.get(f"{API}/plans/")
    assert listed.status_code == 200
    assert {p["name_en"] for p in listed.json()["results"]} == {"Order processing rollout", "Second wave"}
    since = client.get(f"{API}/plans/", {"updated_since": "2999-01-01T00:00:00Z"})
    assert since.json()["results"] == []
    assert client.get(f"{API}/plans/", {"updated_since": "yesterday"}).status_code == 400


def test_scope_and_roles_in_the_api(api, users, departments, plan):
    outside = api(users["cs"])
    assert outside.get(f"{API}/plans/").json()["results"] == []
    assert outside.get(f"{API}/plans/{plan.pk}/").status_code == 404
    staff = api(users["sales"])
    assert staff.get(f"{API}/plans/{plan.pk}/").status_code == 200
    assert staff.patch(f"{API}/plans/{plan.pk}/", {"name_en": "Mine"}, format="json").status_code == 403
    body = {"plan": plan.pk, "title_en": "x", "owner": users["sales"].pk, "due_on": "2026-03-03"}
    assert staff.post(f"{API}/milestones/", body, format="json").status_code == 403
    assert api(users["cs"]).post(f"{API}/milestones/", body, format="json").status_code == 403
    # for a manager of another department, a plan they cannot see does not exist
    other = User.objects.create(username="cs-manager", department=departments["customer-service"])
    other.groups.add(Group.objects.get(name="manager"))
    refused = api(other).post(f"{API}/milestones/", body, format="json")
    assert refused.status_code == 400 and "plan" in refused.json()
    assert api(other).post(f"{API}/plans/{plan.pk}/coverage/").status_code in (404, 405)
    assert not Milestone.objects.exists()
    unauthenticated = api()
    assert unauthenticated.get(f"{API}/plans/").status_code in (401, 403)


def test_milestones_through_the_api_and_the_owner_completes_one(api, users, departments, plan):
    manager = api(users["manager"])
    bad = manager.post(f"{API}/milestones/", {"plan": plan.pk, "due_on": "soon"}, format="json")
    assert bad.status_code == 400 and {"title_en", "owner", "due_on"} <= set(bad.json())
    body = {
        "plan": plan.pk,
        "title_en": "Switch Sales over",
        "owner": users["manager"].pk,
        "due_on": "2026-03-05",
        "switches_department": departments["sales"].pk,
    }
    created = manager.post(f"{API}/milestones/", body, format="json")
    assert created.status_code == 201, created.json()
    milestone = created.json()
    assert milestone["position"] == 1 and milestone["work_item"] and milestone["late"] is True
    twice = manager.post(f"{API}/milestones/", body, format="json")
    assert twice.status_code == 400 and "switches_department" in twice.json()
    assert api(users["director"]).post(f"{API}/milestones/{milestone['id']}/complete/", {}).status_code == 409
    done = manager.post(f"{API}/milestones/{milestone['id']}/complete/", {"note": "ok"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    switches = manager.get(f"{API}/department-switches/", {"plan": plan.pk}).json()["results"]
    assert [s["department"] for s in switches] == [departments["sales"].pk]
    coverage = manager.get(f"{API}/plans/{plan.pk}/coverage/").json()
    assert {d["department_name"]: d["switched_on"] is not None for d in coverage["departments"]}["Sales"]
    assert coverage["training"][-1]["department"] is None


def test_sessions_invitations_and_attendance_through_the_api(api, users, departments, plan):
    manager = api(users["manager"])
    session = manager.post(
        f"{API}/training-sessions/",
        {"plan": plan.pk, "tier": "execution", "title_en": "Order desk", "starts_at": "2026-03-03T14:00:00+08:00"},
        format="json",
    )
    assert session.status_code == 201, session.json()
    sid = session.json()["id"]
    assert session.json()["sop_url"] == f"/standards/versions/{plan.version_id}/sop/"
    invited = manager.post(
        f"{API}/training-sessions/{sid}/invite/", {"department": departments["sales"].pk}, format="json"
    )
    assert invited.json() == {"invited": 1}
    row = manager.get(f"{API}/attendance/", {"session": sid}).json()["results"][0]
    bad = manager.patch(f"{API}/attendance/{row['id']}/", {"completed": True}, format="json")
    assert bad.status_code == 400 and "completed" in bad.json()
    good = manager.patch(f"{API}/attendance/{row['id']}/", {"attended": True, "completed": True}, format="json")
    assert good.status_code == 200 and good.json()["completed"] is True
    listed = manager.get(f"{API}/training-sessions/{sid}/").json()
    assert (listed["invited"], listed["completed_count"]) == (1, 1)


def test_reviews_and_monitoring_through_the_api(api, users, departments, plan):
    services.department_switch_record(
        plan=plan, user=users["manager"], department=departments["sales"], switched_on=START
    )
    services.reviews_create_due(now=at(date(2026, 3, 4), 1))
    review = MonitoringReview.objects.order_by("period_start").first()
    manager = api(users["manager"])
    rows = manager.get(f"{API}/plans/{plan.pk}/monitoring/").json()
    assert rows[-1]["period_start"] == "2026-03-02" and rows[-1]["review"] == review.pk
    assert manager.post(f"{API}/monitoring-reviews/{review.pk}/close/", {}, format="json").status_code == 400
    closed = manager.post(f"{API}/monitoring-reviews/{review.pk}/close/", {"conclusions": "Stable."}, format="json")
    assert closed.status_code == 200 and closed.json()["closed_at"]


def test_the_schema_lists_the_rollout_endpoints(client, users):
    client.force_login(users["manager"])
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in ("plans/", "milestones/", "training-sessions/", "attendance/", "monitoring-reviews/"):
        assert f"/api/v1/rollouts/{path}" in schema["paths"]
    assert "/api/v1/rollouts/plans/{id}/monitoring/" in schema["paths"]
