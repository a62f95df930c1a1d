import pytest

from metrics.models import Indicator
from opsflow import demo
from processes.models import Process

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(org):
    demo.load_processes()


def test_a_project_through_the_api(api, users, departments, seeded):
    client = api(users["specialist"])
    order = Process.objects.get(code="order-processing")
    created = client.post(
        "/api/v1/projects/projects/",
        {
            "name_en": "API project",
            "department": departments["sales"].pk,
            "processes": [order.pk],
            "lead": users["specialist"].pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    project = created.json()
    assert project["phase"] == "preparation" and project["missing"] == ["At least one goal with a numeric target"]
    assert client.post(f"/api/v1/projects/projects/{project['id']}/submit/", {}, format="json").status_code == 200
    refused = api(users["manager"]).post(
        f"/api/v1/projects/projects/{project['id']}/gate/", {"approve": True}, format="json"
    )
    assert refused.status_code == 400 and "At least one goal" in str(refused.json())
    goal = client.post(
        "/api/v1/projects/goals/",
        {
            "project": project["id"],
            "indicator": Indicator.objects.get(code="cycle-time").pk,
            "target_kind": "relative",
            "target_value": "-20",
        },
        format="json",
    )
    assert goal.status_code == 201, goal.json()
    passed = api(users["manager"]).post(
        f"/api/v1/projects/projects/{project['id']}/gate/", {"approve": True}, format="json"
    )
    assert passed.status_code == 200 and passed.json()["phase"] == "mapping"
    analysis = client.post(
        "/api/v1/projects/analyses/",
        {
            "project": project["id"],
            "process": order.pk,
            "owner": "Sales",
            "risk": "high",
            "steps": [{"name_en": "Review", "hours": "4"}, {"name_en": "Stock", "hours": "-1"}],
        },
        format="json",
    )
    assert analysis.status_code == 400 and "steps" in analysis.json()
    # another department sees nothing of it
    assert api(users["cs"]).get(f"/api/v1/projects/projects/{project['id']}/").status_code == 404
    assert api(users["cs"]).get("/api/v1/projects/goals/").json()["results"] == []


def test_notes_team_and_bottleneck_export(api, users, client, seeded):
    from processes.models import ImprovementProject

    demo.load_projects()
    project = ImprovementProject.objects.get()
    client_api = api(users["specialist"])
    note = client_api.post(
        "/api/v1/projects/notes/",
        {
            "project": project.pk,
            "kind": "customer",
            "date": "2026-06-20",
            "subject": "Customer 42",
            "text": "Late parcel",
        },
        format="json",
    )
    assert note.status_code == 201 and note.json()["created_by"] == users["specialist"].pk
    member = client_api.post(
        "/api/v1/projects/team-members/",
        {"project": project.pk, "user": users["warehouse"].pk, "role": "business_backbone"},
        format="json",
    )
    assert member.status_code == 201
    client.force_login(users["specialist"])
    response = client.get(f"/projects/{project.pk}/bottlenecks.csv")
    text = response.content.decode("utf-8-sig")
    assert "Break point" in text and "Hand-off from Customer Service to Sales has no time limit." in text
