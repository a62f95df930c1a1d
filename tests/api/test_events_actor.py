"""Issue 21, hole 4: nobody records steps in someone else's name.

The actor of a reported step is the caller, unless the caller is an integration account that a
manager or an administrator let report for the people of some departments; every step records who
reported it and with which API token (kept after the token is revoked).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from processes import demo
from processes.choices import Role
from processes.models import Run, User, WorkItem
from processes.services import tokens

pytestmark = pytest.mark.django_db

URL = "/api/v1/work/events/"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def standards(org):
    demo.load_processes()


def at(day, hour):
    return datetime(2026, 3, day, hour, tzinfo=TZ).isoformat()


def event(case="SO-1", step="Sales reviews the order", day=2, **extra):
    return {"process": "order-processing", "case": case, "step": step, "started": at(day, 9), "finished": at(day, 10)}


def with_token(user, name="wms"):
    token, secret = tokens.api_token_create(user=user, name=name, days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client, token


@pytest.fixture
def wms(users, departments):
    """A warehouse system's account (ops staff of the warehouse), not yet an integration account."""
    from django.contrib.auth.models import Group

    account = User.objects.create_user("wms", password="x", department=departments["warehouse"])
    account.groups.add(Group.objects.get(name=Role.OPS_STAFF))
    return account


def test_a_person_cannot_report_a_step_in_another_persons_name(users, standards):
    client, _token = with_token(users["sales"])
    response = client.post(URL, {"events": [event(), event(case="SO-2") | {"actor": "manager"}]}, format="json")
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["1"] and "actor" in response.json()["errors"]["1"]
    assert not Run.objects.filter(source="events").exists() and not WorkItem.objects.filter(run__source="events")


def test_the_actor_is_the_caller_and_the_token_is_recorded(users, standards):
    client, token = with_token(users["sales"], name="crm sync")
    response = client.post(URL, {"events": [event(), event(case="SO-2") | {"actor": "sales"}]}, format="json")
    assert response.status_code == 200, response.json()
    items = WorkItem.objects.filter(run__source="events").order_by("run__external_id")
    assert [(i.actor, i.completed_by.username, i.reported_by.username) for i in items] == [
        ("sales", "sales", "sales")
    ] * 2
    assert {i.reported_token_id for i in items} == {token.pk}
    rows = client.get(URL + "?source=events").json()["results"]
    assert [(r["actor"], r["reported_by"], r["reported_token"]) for r in rows] == [
        ("sales", "sales", f"crm sync ({token.token_key}…)")
    ] * 2
    # revoking the token keeps the record of which token wrote the steps
    tokens.api_token_revoke(token=token, user=users["sales"])
    item = items.first()
    item.refresh_from_db()
    assert item.reported_token_id is None and item.reported_token_label == f"crm sync ({token.token_key}…)"


def test_the_browser_session_reports_as_the_person_without_a_token(users, standards):
    client = APIClient()
    client.force_login(users["sales"])
    assert client.post(URL, {"events": [event()]}, format="json").status_code == 200
    item = WorkItem.objects.get(run__source="events")
    assert (item.actor, item.reported_by, item.reported_token, item.reported_token_label) == (
        "sales",
        users["sales"],
        None,
        "",
    )


def test_an_integration_account_names_the_people_of_its_departments_only(api, users, departments, standards, wms):
    manager = api(users["manager"])
    granted = manager.post(
        "/api/v1/work/integration-accounts/",
        {"account": "wms", "departments": ["sales", "warehouse"]},
        format="json",
    )
    assert granted.status_code == 201, granted.json()
    client, token = with_token(wms)
    ok = client.post(
        URL,
        {
            "events": [
                event() | {"actor": "sales"},
                event(step="Warehouse confirms stock", day=3) | {"actor": "warehouse"},
                event(case="SO-2"),  # no actor: the account itself
            ]
        },
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    assert sorted(WorkItem.objects.filter(run__source="events").values_list("actor", "completed_by__username")) == [
        ("sales", "sales"),
        ("warehouse", "warehouse"),
        ("wms", "wms"),
    ]
    assert set(WorkItem.objects.filter(run__source="events").values_list("reported_token", flat=True)) == {token.pk}
    # customer service is not one of its departments, and unknown or inactive people are refused alike
    users["logistics"].is_active = False
    users["logistics"].save()
    refused = client.post(
        URL,
        {"events": [event(case="SO-9") | {"actor": name} for name in ("cs", "nobody", "logistics", "director")]},
        format="json",
    )
    assert refused.status_code == 400
    messages = [refused.json()["errors"][str(i)]["actor"] for i in range(4)]
    assert all(m == messages[0] for m in messages)
    assert not Run.objects.filter(external_id="SO-9").exists()


def test_a_step_reported_for_someone_cannot_be_rewritten_by_another_person(api, users, standards, wms):
    from processes.models import IntegrationAccount

    account = IntegrationAccount.objects.create(user=wms)
    account.departments.set([users["sales"].department_id])
    client, _token = with_token(wms)
    assert client.post(URL, {"events": [event() | {"actor": "sales"}]}, format="json").status_code == 200
    other, _ = with_token(users["manager"])  # may see the run, may not speak for ``sales``
    response = other.post(URL, {"events": [event() | {"finished": at(2, 11)}]}, format="json")
    assert response.status_code == 400 and "actor" in response.json()["errors"]["0"]
    item = WorkItem.objects.get(run__source="events")
    assert (item.actor, item.finished_at.hour) == ("sales", 2)  # 10:00 Shanghai is 02:00 UTC


def test_who_may_set_up_integration_accounts(api, users, departments, standards, wms):
    body = {"account": "wms", "departments": ["sales"]}
    for username in ("sales", "it", "specialist"):
        assert api(users[username]).post("/api/v1/work/integration-accounts/", body, format="json").status_code == 403
    # a manager grants only departments of their scope: customer service answers like an unknown code
    manager = api(users["manager"])
    outside = manager.post(
        "/api/v1/work/integration-accounts/", {"account": "wms", "departments": ["customer-service"]}, format="json"
    )
    unknown = manager.post(
        "/api/v1/work/integration-accounts/", {"account": "wms", "departments": ["nope"]}, format="json"
    )
    assert (outside.status_code, unknown.status_code) == (400, 400)
    assert outside.json()["departments"] == [
        m.replace("nope", "customer-service") for m in unknown.json()["departments"]
    ]
    # an administrator grants any; the manager's later change keeps what they cannot see
    admin = api(users["admin"])
    assert admin.post(
        "/api/v1/work/integration-accounts/", {"account": "wms", "departments": ["customer-service"]}, format="json"
    ).status_code in (200, 201)
    changed = manager.post("/api/v1/work/integration-accounts/", body, format="json")
    assert changed.status_code == 200, changed.json()
    assert sorted(admin.get("/api/v1/work/integration-accounts/").json()["results"][0]["departments"]) == [
        "customer-service",
        "sales",
    ]
    assert manager.get("/api/v1/work/integration-accounts/").json()["results"][0]["departments"] == ["sales"]


def test_the_integration_accounts_page(client, users, departments, standards, wms):
    from processes.models import IntegrationAccount

    client.force_login(users["sales"])
    assert client.get("/integrations/accounts/").status_code == 403
    assert "Integration accounts" not in client.get("/integrations/tokens/").content.decode()
    client.force_login(users["manager"])
    assert "Integration accounts" in client.get("/integrations/tokens/").content.decode()
    page = client.get("/integrations/accounts/").content.decode()
    assert "Customer Service" not in page and 'value="wms"' in page  # only what the manager may grant
    outside = client.post(
        "/integrations/accounts/", {"account": "wms", "departments": [departments["customer-service"].pk]}
    )
    assert outside.status_code == 400 and not IntegrationAccount.objects.exists()
    saved = client.post("/integrations/accounts/", {"account": "wms", "departments": [departments["sales"].pk]})
    assert saved.status_code == 302
    account = IntegrationAccount.objects.get(user=wms)
    assert (
        list(account.departments.values_list("code", flat=True)) == ["sales"] and account.updated_by == users["manager"]
    )
    assert "Sales" in client.get("/integrations/accounts/").content.decode()
    # none chosen: the right is taken back
    assert client.post("/integrations/accounts/", {"account": "wms"}).status_code == 302
    assert not IntegrationAccount.objects.exists()


def test_a_reported_step_shows_its_token_in_the_run_page(client, users, standards):
    api_client, token = with_token(users["sales"], name="crm sync")
    assert api_client.post(URL, {"events": [event()]}, format="json").status_code == 200
    client.force_login(users["sales"])
    run = Run.objects.get(external_id="SO-1")
    page = client.get(f"/work/runs/{run.pk}/").content.decode()
    assert f"reported with the API token crm sync ({token.token_key}…)" in page
