import pytest

from processes import demo
from processes.models import StandardVersion

pytestmark = pytest.mark.django_db

URL = "/api/v1/processes/standard-versions/"


@pytest.fixture
def published(org):
    demo.load_processes()
    return StandardVersion.objects.get(process__code="order-processing", status="published")


def test_list_and_read_a_version_with_its_steps(api, users, published):
    response = api(users["sales"]).get(URL)
    assert response.status_code == 200
    assert [v["id"] for v in response.json()["results"]] == [published.pk]  # complaint handling is not Sales'
    body = api(users["sales"]).get(f"{URL}{published.pk}/").json()
    assert [s["time_limit"] for s in body["steps"]] == [None, "2.00", "1.00", "1.00"]
    assert body["escalation_levels"] == [{"level": 1, "target": "supervisor", "after_hours": "0.00"}]


def test_full_lifecycle_through_the_api(api, users, departments):
    specialist, manager = api(users["specialist"]), api(users["manager"])
    process = specialist.post(
        "/api/v1/processes/processes/",
        {"code": "returns", "name_en": "Returns", "name_zh": "退货", "department": departments["sales"].pk},
        format="json",
    )
    assert process.status_code == 201, process.json()
    created = specialist.post(
        URL,
        {
            "process": process.json()["id"],
            "goal_en": "Refund within 3 days",
            "scope_en": "All returns",
            "steps": [
                {"name_en": "Check the parcel", "department": departments["warehouse"].pk, "time_limit": "2"},
                {
                    "name_en": "Refund",
                    "department": departments["sales"].pk,
                    "time_limit": "1",
                    "time_unit": "working_days",
                },
            ],
            "exception_plans": [{"trigger_en": "Parcel damaged", "response_limit": "4"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    version = created.json()
    assert [s["name_en"] for s in version["steps"]] == ["Check the parcel", "Refund"]
    pk = version["id"]
    assert specialist.post(f"{URL}{pk}/submit/").status_code == 200
    assert specialist.post(f"{URL}{pk}/approve/").status_code == 403  # specialists do not approve
    assert manager.post(f"{URL}{pk}/approve/", {"note": "fine"}, format="json").json()["status"] == "approved"
    assert manager.post(f"{URL}{pk}/publish/").json()["status"] == "published"
    frozen = specialist.patch(f"{URL}{pk}/", {"goal_en": "changed"}, format="json")
    assert frozen.status_code == 400 and "edited" in str(frozen.json())
    draft = specialist.post(f"{URL}{pk}/new-draft/", {"note": "pilot feedback"}, format="json")
    assert draft.status_code == 201 and draft.json()["number"] == 2 and draft.json()["based_on"] == pk
    steps = draft.json()["steps"]
    steps[0]["time_limit"] = "3.00"
    assert specialist.patch(f"{URL}{draft.json()['id']}/", {"steps": steps}, format="json").status_code == 200
    diff = specialist.get(f"{URL}{draft.json()['id']}/compare/?with={pk}").json()
    changed = [row for row in diff["steps"] if row["state"] == "changed"]
    assert changed == [
        {
            "state": "changed",
            "moved": False,
            "item": "1. Check the parcel",
            "changes": [{"field": "time_limit", "before": "2", "after": "3"}],
        }
    ]


def test_author_cannot_approve_own_version_over_the_api(api, users, published):
    client = api(users["manager"])
    draft = client.post(f"{URL}{published.pk}/new-draft/", format="json").json()
    assert client.post(f"{URL}{draft['id']}/submit/").status_code == 200
    response = client.post(f"{URL}{draft['id']}/approve/")
    assert response.status_code == 403
    assert "another manager" in response.json()["detail"]


def test_bad_rows_answer_400_with_field_messages_and_store_nothing(api, users, published):
    client = api(users["specialist"])
    draft = client.post(f"{URL}{published.pk}/new-draft/", format="json").json()
    steps = draft["steps"]
    steps[1]["time_limit"] = "-5"
    steps[2]["name_en"] = ""
    response = client.patch(f"{URL}{draft['id']}/", {"goal_en": "new", "steps": steps}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "steps" in body
    assert client.get(f"{URL}{draft['id']}/").json()["goal_en"] == published.goal_en


def test_other_department_cannot_see_or_change(api, users, published):
    client = api(users["cs"])
    assert client.get(f"{URL}{published.pk}/").status_code == 404
    assert client.post(f"{URL}{published.pk}/new-draft/").status_code == 403  # ops staff cannot author
    client = api(users["warehouse"])
    assert client.patch(f"{URL}{published.pk}/", {"goal_en": "x"}, format="json").status_code in (403, 404)


def test_creating_a_version_for_an_invisible_process_is_refused(api, users, published):
    complaint = StandardVersion.objects.get(process__code="complaint-handling").process
    response = api(users["manager"]).post(URL, {"process": complaint.pk}, format="json")
    assert response.status_code == 400 and "process" in response.json()
