"""Issue 21, hole 3: only the roles that run improvement projects write measurements, in their scope.

Ops staff (``sales``) and IT support (``it``) read measurements but may not enter, post or import
them; a manager may not write one for a process outside their scope; an ``external_id`` used in
another department is keyed apart, so using it creates the caller's own row and touches nothing.
"""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from metrics.models import Measurement

pytestmark = pytest.mark.django_db

API = "/api/v1/metrics/measurements/"
PAGE = "/metrics/measurements/"
IMPORT = "/metrics/measurements/import/"
BASELINE_ID = "demo-cycle-time-baseline"  # the cycle-time baseline of template 4 (order processing, Sales)
HEADER = "indicator,process,period_start,period_end,value,observations,cases,external_id\n"


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def baseline():
    return Measurement.objects.get(external_id=BASELINE_ID)


def overwrite(**changes):
    body = {
        "indicator": "cycle-time",
        "process": "order-processing",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
        "value": "1.0000",
        "external_id": BASELINE_ID,
    }
    return body | changes


@pytest.mark.parametrize("username", ["sales", "it"])
def test_ops_staff_and_it_support_cannot_post_measurements(world, username):
    before = baseline()
    client = api_as(world[username])
    update = client.post(API, overwrite(), format="json")
    create = client.post(API, overwrite(external_id="new-one"), format="json")
    assert (update.status_code, create.status_code) == (403, 403)
    after = baseline()
    assert (after.value, after.updated_at) == (before.value, before.updated_at) == (Decimal("7"), before.updated_at)
    assert not Measurement.objects.filter(external_id="new-one").exists()
    assert client.get(API).status_code == 200  # reading stays allowed


@pytest.mark.parametrize("username", ["sales", "it"])
def test_ops_staff_and_it_support_cannot_enter_measurements_in_the_page(client, world, username):
    client.force_login(world[username])
    page = client.get(PAGE)
    assert page.status_code == 200 and "Import from CSV or Excel" not in page.content.decode()
    assert 'name="value"' not in page.content.decode()  # no form to enter one
    process = Measurement.objects.get(external_id=BASELINE_ID).process
    indicator = baseline().indicator
    response = client.post(
        PAGE,
        {
            "indicator": indicator.pk,
            "process": process.pk,
            "period_start": "2026-07-01",
            "period_end": "2026-09-30",
            "value": "1",
        },
    )
    assert response.status_code == 403
    assert Measurement.objects.filter(value=1).count() == 0 and baseline().value == 7


@pytest.mark.parametrize("username", ["sales", "it"])
def test_ops_staff_and_it_support_cannot_import_measurements(client, world, username):
    client.force_login(world[username])
    assert client.get(IMPORT).status_code == 403
    text = HEADER + f"cycle-time,order-processing,2026-07-01,2026-09-30,1,,,{BASELINE_ID}\n"
    response = client.post(IMPORT, {"file": SimpleUploadedFile("m.csv", text.encode())})
    assert response.status_code == 403
    assert client.post(IMPORT, {"token": "anything"}).status_code == 403
    assert baseline().value == 7


def test_a_preview_taken_before_losing_the_role_stores_nothing(client, world):
    """The confirmation step checks again: rows previewed by a specialist are not stored for ops staff."""
    from metrics.imports import indicators as imports

    rows = [
        {
            "indicator": "cycle-time",
            "process": "order-processing",
            "period_start": "2026-07-01",
            "period_end": "2026-09-30",
            "value": "1",
            "sample_size": None,
            "numerator": None,
            "external_id": BASELINE_ID,
            "note": "",
        }
    ]
    token = imports.stash(world["sales"], rows)
    client.force_login(world["sales"])
    assert client.post(IMPORT, {"token": token}).status_code == 403
    assert baseline().value == 7


def test_a_manager_cannot_write_a_measurement_outside_their_scope(client, world):
    """``manager`` heads Sales, Warehouse and Logistics: complaint handling (Customer Service) is not
    theirs, and the answer is the one for a process that does not exist."""
    api = api_as(world["manager"])
    response = api.post(API, overwrite(process="complaint-handling", external_id="cs-1"), format="json")
    assert response.status_code == 400
    unknown = api.post(API, overwrite(process="no-such", external_id="x"), format="json")
    assert response.json() == {"process": ["Object with code=complaint-handling does not exist."]}
    assert unknown.json() == {"process": ["Object with code=no-such does not exist."]}
    assert not Measurement.objects.filter(external_id__in=["cs-1", "x"]).exists()
    client.force_login(world["manager"])
    text = HEADER + "complaint-rate,complaint-handling,2026-01-01,2026-01-31,12,100,12,cs-2\n"
    page = client.post(IMPORT, {"file": SimpleUploadedFile("m.csv", text.encode())})
    assert page.status_code == 400 and "unknown process &#x27;complaint-handling&#x27;" in page.content.decode()
    assert not Measurement.objects.filter(external_id="cs-2").exists()


def test_an_external_id_of_another_department_behaves_like_an_unknown_one(world):
    """The director keys a complaint-handling figure ``erp-1``; the manager's own ``erp-1`` for order
    processing creates the manager's row (201), leaves the other one alone and reveals nothing of it."""
    director, manager = api_as(world["director"]), api_as(world["manager"])
    body = overwrite(external_id="erp-1", period_start="2026-01-01", period_end="2026-01-31")
    theirs = director.post(API, {**body, "process": "complaint-handling", "value": "9"}, format="json")
    assert theirs.status_code == 201, theirs.json()
    mine = manager.post(API, {**body, "value": "5"}, format="json")
    assert mine.status_code == 201, mine.json()
    assert mine.json()["id"] != theirs.json()["id"] and mine.json()["process"] == "order-processing"
    other = Measurement.objects.get(pk=theirs.json()["id"])
    assert (other.value, other.process.code, other.created_by.username) == (9, "complaint-handling", "director")
    again = manager.post(API, {**body, "value": "6"}, format="json")  # the manager's sync keeps updating its own
    assert (again.status_code, again.json()["id"]) == (200, mine.json()["id"])
    assert Measurement.objects.get(pk=theirs.json()["id"]).value == 9
    assert [m["id"] for m in manager.get(API + "?external_id=erp-1").json()["results"]] == [mine.json()["id"]]


def test_the_roles_that_run_projects_write_measurements(world):
    for username in ("specialist", "manager", "director", "admin"):
        response = api_as(world[username]).post(API, overwrite(external_id=f"by-{username}"), format="json")
        assert response.status_code == 201, (username, response.json())
