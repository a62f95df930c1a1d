"""The pilot REST API: what a client syncing pilots, feedback and surveys sees and may do."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from pilots.models import Pilot

pytestmark = pytest.mark.django_db


def _pilot_body(trial, teams, users, **overrides):
    today = timezone.localdate()  # the pilot runs now, so that runs started now belong to it
    return {
        "name_en": "Faster order review",
        "version": trial["trial"].pk,
        "departments": [teams["east"].pk],
        "control_departments": [teams["south"].pk],
        "starts_on": str(today - timedelta(days=1)),
        "ends_on": str(today + timedelta(days=10)),
        "owner": users["manager"].pk,
        **overrides,
    }


def test_a_client_runs_a_whole_pilot(trial, teams, departments, users, api, django_user_model):
    manager = api(users["manager"])
    bad = manager.post("/api/v1/pilots/", _pilot_body(trial, teams, users, ends_on="2020-03-01"), format="json")
    assert bad.status_code == 400 and "ends_on" in bad.json()
    assert not Pilot.objects.exists()
    created = manager.post("/api/v1/pilots/", _pilot_body(trial, teams, users), format="json")
    assert created.status_code == 201, created.json()
    pilot_id = created.json()["id"]
    assert manager.post(f"/api/v1/pilots/{pilot_id}/start/").json()["status"] == "running"

    run = manager.post(
        "/api/v1/work/runs/",
        {"process": "order-processing", "department": teams["east"].pk, "external_id": "E-1"},
        format="json",
    )
    assert run.status_code == 201 and run.json()["version"] == trial["trial"].pk
    assert manager.get(f"/api/v1/pilots/{pilot_id}/").json()["runs"] == {"pilot": 1, "control": 0}

    feedback = api(users["sales"]).post(
        "/api/v1/pilots/feedback/",
        {
            "pilot": pilot_id,
            "department": teams["east"].pk,
            "problem": "Customers wait for the ID check call",
            "responsible_department": departments["it"].pk,
            "due_days": 3,
        },
        format="json",
    )
    assert feedback.status_code == 201 and feedback.json()["number"] == 1
    item = feedback.json()["id"]
    assert api(users["sales"]).post(f"/api/v1/pilots/feedback/{item}/decide/", {"accept": True}).status_code == 403
    reject = manager.post(f"/api/v1/pilots/feedback/{item}/decide/", {"accept": False}, format="json")
    assert reject.status_code == 400 and "note" in reject.json()
    accepted = manager.post(f"/api/v1/pilots/feedback/{item}/decide/", {"accept": True}, format="json").json()
    assert accepted["status"] == "accepted" and accepted["due_at"]

    survey = manager.post("/api/v1/pilots/surveys/", {"pilot": pilot_id, "title_en": "Week 1"}, format="json")
    assert survey.status_code == 201
    survey = survey.json()
    clarity, efficiency, comment = (q["id"] for q in survey["questions"])
    staff = django_user_model.objects.create_user("east1", password="x", department=teams["east"])
    staff.groups.add(Group.objects.get(name="ops_staff"))
    answer = api(staff).post(
        f"/api/v1/pilots/surveys/{survey['id']}/answer/",
        {"answers": {str(clarity): "9", str(efficiency): "4"}},
        format="json",
    )
    assert answer.status_code == 400 and f"q{clarity}" in answer.json()
    answer = api(staff).post(
        f"/api/v1/pilots/surveys/{survey['id']}/answer/",
        {"answers": {str(clarity): "5", str(efficiency): "4", str(comment): "ok"}},
        format="json",
    )
    assert answer.status_code == 201
    results = manager.get(f"/api/v1/pilots/surveys/{survey['id']}/results/").json()
    assert results[0]["mean"] == "5.00" and results[0]["distribution"] == [0, 0, 0, 0, 1]
    assert results[2]["comments"] == ["ok"]

    report = manager.get(f"/api/v1/pilots/{pilot_id}/report/").json()
    assert report["runs"] == {"pilot": 1, "control": 0}
    assert report["feedback"] == {"accepted": 1}
    assert {f["indicator"] for f in report["figures"]} >= {"cycle-time", "on-time-rate"}

    # customer service sees no pilot of the sales teams
    assert api(users["cs"]).get("/api/v1/pilots/").json()["results"] == []
    assert api(users["cs"]).get(f"/api/v1/pilots/{pilot_id}/report/").status_code == 404


def test_a_stand_up_through_the_api_returns_its_draft(trial, teams, users, api):
    manager = api(users["manager"])
    pilot_id = manager.post("/api/v1/pilots/", _pilot_body(trial, teams, users), format="json").json()["id"]
    manager.post(f"/api/v1/pilots/{pilot_id}/start/")
    review = trial["trial"].steps.get(position=2)
    response = manager.post(
        "/api/v1/pilots/standups/",
        {
            "pilot": pilot_id,
            "held_on": str(timezone.localdate()),
            "problems": "Too tight",
            "decisions": "Review within 3 hours",
            "change_step": review.pk,
            "new_time_limit": "3",
            "new_time_unit": "hours",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    draft = response.json()["draft_version"]
    assert manager.get(f"/api/v1/processes/standard-versions/{draft}/").json()["status"] == "draft"
    again = manager.post(
        "/api/v1/pilots/standups/",
        {"pilot": pilot_id, "held_on": str(timezone.localdate()), "problems": "Same day"},
        format="json",
    )
    assert again.status_code == 400 and "held_on" in again.json()
