"""A syncing client: pull everything page by page, then only what changed (``updated_since``) and what
was deleted (``/org/deletions/``); optimistic concurrency with ETag / If-Match; idempotent
create-or-update by ``external_id``."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from metrics.models import Measurement
from opsflow import demo
from processes.models import Goal, Problem, Tombstone

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(org):
    demo.load_processes()
    demo.load_projects()


def pull(client, url, since=None, page_size=2):
    """Every row of a list, following the cursor (small pages, so the cursor really is followed)."""
    query = f"?page_size={page_size}" + (f"&updated_since={quote(since.isoformat())}" if since else "")
    rows, next_url, pages = [], url + query, 0
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        next_url, pages = body["next"], pages + 1
    assert len({row["id"] for row in rows}) == len(rows), "a row came twice"
    return rows


SYNCED = {
    "goals": "/api/v1/projects/goals/",
    "problems": "/api/v1/projects/problems/",
    "processes": "/api/v1/processes/processes/",
    "projects": "/api/v1/projects/projects/",
}


def test_pull_change_delete_and_pull_again_with_updated_since(api, users, seeded):
    client = api(users["admin"])
    project = Problem.objects.first().project_id
    extra = {"project": project, "source": "interview", "description": "Stock unknown", "severity": "high"}
    assert client.post(SYNCED["problems"], extra, format="json").status_code == 201
    first = {name: pull(client, url) for name, url in SYNCED.items()}
    assert len(first["problems"]) == 3 and len(first["goals"]) >= 2
    mark = timezone.now()

    problems = sorted(row["id"] for row in first["problems"])
    changed_problem, deleted_problem = problems[0], problems[1]
    response = client.patch(f"{SYNCED['problems']}{changed_problem}/", {"description": "Orders wait"}, format="json")
    assert response.status_code == 200, response.json()
    goal = first["goals"][0]
    response = client.patch(f"{SYNCED['goals']}{goal['id']}/", {"target_value": "-40.0000"}, format="json")
    assert response.status_code == 200, response.json()
    created = client.post(
        SYNCED["problems"],
        {"project": goal["project"], "source": "data", "description": "New one", "severity": "low"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    Problem.objects.get(pk=deleted_problem).delete()

    second = {name: pull(client, url, since=mark) for name, url in SYNCED.items()}
    assert {row["id"] for row in second["problems"]} == {changed_problem, created.json()["id"]}
    assert [row["id"] for row in second["goals"]] == [goal["id"]]
    assert second["goals"][0]["target_value"] == "-40.0000"
    assert second["processes"] == []
    deletions = pull(client, "/api/v1/org/deletions/", since=mark)
    assert [(row["model"], row["object_id"]) for row in deletions] == [("processes.problem", str(deleted_problem))]

    # the client's copy, updated with the changes and deletions, equals a fresh full pull
    copy = {row["id"]: row for row in first["problems"]}
    copy.update({row["id"]: row for row in second["problems"]})
    for row in deletions:
        copy.pop(int(row["object_id"]))
    assert copy == {row["id"]: row for row in pull(client, SYNCED["problems"])}


def test_deletions_are_scoped_to_the_users_departments(api, users, seeded):
    mark = timezone.now()
    Problem.objects.first().delete()
    tombstone = Tombstone.objects.get()
    assert tombstone.model == "processes.problem" and tombstone.department.code == "head-office"
    assert len(pull(api(users["director"]), "/api/v1/org/deletions/", since=mark)) == 1
    assert pull(api(users["manager"]), "/api/v1/org/deletions/", since=mark) == []  # sales, warehouse, logistics
    assert pull(api(users["director"]), "/api/v1/org/deletions/", since=mark + timedelta(seconds=5)) == []


def test_updated_since_is_checked_and_accepts_an_unencoded_plus(api, users, seeded):
    client = api(users["admin"])
    bad = client.get("/api/v1/projects/goals/?updated_since=yesterday")
    assert bad.status_code == 400 and "updated_since" in bad.json()
    # found by the fuzz run: before year 1 in UTC
    assert client.get("/api/v1/projects/goals/?updated_since=0001-01-01T00:00:00%2B06:11").status_code == 400
    # "+08:00" sent without encoding arrives as " 08:00"
    future = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+08:00").replace("+", " ")
    assert client.get(f"/api/v1/projects/goals/?updated_since={future}").json()["results"] == []
    assert len(client.get("/api/v1/projects/goals/?updated_since=2000-01-01").json()["results"]) >= 2


def test_every_list_endpoint_has_updated_since(api, users, seeded):
    schema = api(users["admin"]).get("/api/schema/?format=json").json()
    client = api(users["admin"])
    since = quote((timezone.now() - timedelta(days=1)).isoformat())
    lists = 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        names = {p["name"] for p in (get or {}).get("parameters", [])}
        if "cursor" not in names:
            continue
        lists += 1
        assert "updated_since" in names, path
        if "{" not in path:
            response = client.get(f"{path}?updated_since={since}")
            assert response.status_code == 200, (path, response.content)
    assert lists >= 30


def test_a_stale_if_match_gets_412_and_changes_nothing(api, users, seeded):
    client = api(users["admin"])
    goal = Goal.objects.first()
    url = f"/api/v1/projects/goals/{goal.pk}/"
    read = client.get(url)
    etag = read["ETag"]
    assert etag.startswith('"') and client.get(url)["ETag"] == etag
    assert client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")["ETag"] == etag

    mine = client.patch(url, {"target_value": "-30.0000"}, format="json", HTTP_IF_MATCH=etag)
    assert mine.status_code == 200 and mine["ETag"] != etag
    assert client.get(url)["ETag"] == mine["ETag"]

    theirs = client.patch(url, {"target_value": "-10.0000"}, format="json", HTTP_IF_MATCH=etag)
    assert theirs.status_code == 412 and "changed since you read it" in theirs.json()["detail"]
    goal.refresh_from_db()
    assert str(goal.target_value) == "-30.0000"

    weak = client.put(
        url, {**read.json(), "target_value": "-20.0000"}, format="json", HTTP_IF_MATCH=f"W/{mine['ETag']}"
    )
    assert weak.status_code == 200, weak.json()
    assert client.patch(url, {"due_date": None}, format="json", HTTP_IF_MATCH="*").status_code == 200
    # without If-Match the write proceeds (last write wins)
    assert client.patch(url, {"target_value": "-25.0000"}, format="json").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/projects/{project}/",
        "/api/v1/projects/problems/{problem}/",
        "/api/v1/processes/processes/{process}/",
        "/api/v1/processes/standard-versions/{version}/",
    ],
)
def test_edits_of_other_resources_check_if_match(api, users, seeded, url):
    from processes.models import ImprovementProject, Process, StandardVersion

    url = url.format(
        project=ImprovementProject.objects.first().pk,
        problem=Problem.objects.first().pk,
        process=Process.objects.first().pk,
        version=StandardVersion.objects.first().pk,
    )
    client = api(users["admin"])
    assert client.get(url).has_header("ETag")
    assert client.patch(url, {}, format="json", HTTP_IF_MATCH='"stale"').status_code == 412
    response = client.patch(url, {}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert response.status_code in (200, 400), response.content  # a published version is frozen: 400


def test_a_run_started_twice_with_one_external_id_is_one_run(api, users, seeded):
    client = api(users["sales"])
    body = {"process": "order-processing", "external_id": "SO-77"}
    first = client.post("/api/v1/work/runs/", body, format="json")
    again = client.post("/api/v1/work/runs/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_a_measurement_posted_twice_with_one_external_id_is_updated(api, users, seeded):
    client = api(users["manager"])
    body = {
        "indicator": "cycle-time",
        "process": "order-processing",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "value": "30.5000",
        "external_id": "erp-2026-01",
    }
    first = client.post("/api/v1/metrics/measurements/", body, format="json")
    assert first.status_code == 201, first.json()
    etag = client.get(f"/api/v1/metrics/measurements/{first.json()['id']}/")["ETag"]
    again = client.post("/api/v1/metrics/measurements/", {**body, "value": "28.0000"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Measurement.objects.get(external_id="erp-2026-01").value == 28
    stale = client.post("/api/v1/metrics/measurements/", {**body, "value": "1"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Measurement.objects.get(external_id="erp-2026-01").value == 28
