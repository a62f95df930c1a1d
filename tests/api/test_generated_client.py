"""A client generated from our OpenAPI schema by a standard generator (openapi-python-client), used
as generated, without hand edits: it authenticates with an API token, lists, creates, updates and
runs actions against a live server."""

import importlib
import shutil
import subprocess
import sys

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = shutil.which("openapi-python-client") or str(
    __import__("pathlib").Path(sys.executable).with_name("openapi-python-client")
)


@pytest.fixture
def generated(tmp_path, monkeypatch):
    """Generate the client package ``opsflow_client`` from the schema the server publishes."""
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(schema))
    result = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "opsflow_client"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unable to" not in result.stdout, result.stdout  # every operation was generated
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("opsflow_client")]:
        del sys.modules[name]
    return importlib.import_module("opsflow_client")


def test_a_generated_client_lists_creates_updates_and_runs_actions(generated, live_server, users, departments):
    from processes import demo
    from processes.services.tokens import api_token_create

    demo.load_processes()
    _token, key = api_token_create(user=users["manager"], name="generated client", days=30)
    client = generated.AuthenticatedClient(base_url=live_server.url, token=key, prefix="Token")
    api = importlib.import_module

    # list
    processes = api("opsflow_client.api.processes.processes_processes_list").sync(client=client)
    assert {p.code for p in processes.results} >= {"order-processing"}

    # create, then update
    models = api("opsflow_client.models")
    created = api("opsflow_client.api.processes.processes_cases_create").sync_detailed(
        client=client,
        body=models.CaseRequest(
            title_en="Generated clients work", lesson_en="No hand edits.", department=departments["sales"].pk
        ),
    )
    assert created.status_code == 201, created.content
    case = created.parsed
    assert case.id and case.title_en == "Generated clients work"
    changed = api("opsflow_client.api.processes.processes_cases_partial_update").sync(
        case.id, client=client, body=models.PatchedCaseRequest(lesson_en="Still no hand edits.", tags=["api"])
    )
    assert changed.lesson_en == "Still no hand edits." and changed.tags == ["api"]

    # actions: start a run, claim its review and complete it
    run = api("opsflow_client.api.work.work_runs_create").sync(
        client=client, body=models.RunStartRequest(process="order-processing", external_id="GEN-1")
    )
    assert run.external_id == "GEN-1"
    items = api("opsflow_client.api.work.work_items_list").sync(
        client=client, run=run.id, status=models.WorkItemsListStatus.OPEN
    )
    review = next(item for item in items.results if not item.automatic)
    claimed = api("opsflow_client.api.work.work_items_claim_create").sync(review.id, client=client)
    assert claimed.status == "claimed"
    done = api("opsflow_client.api.work.work_items_complete_create").sync(
        review.id, client=client, body=models.CompleteRequest(note="checked by a generated client")
    )
    assert done.status == "done"

    # a bad token is refused
    anonymous = generated.AuthenticatedClient(base_url=live_server.url, token="opsflow_wrong", prefix="Token")
    response = api("opsflow_client.api.processes.processes_processes_list").sync_detailed(client=anonymous)
    assert response.status_code == 401
