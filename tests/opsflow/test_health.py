import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_everything_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def _healthz_in_subprocess(tmp_path, **env):
    """Ask /healthz in a fresh process whose settings point at a service that is not there.

    Nothing is mocked: the process really tries to reach the database and the broker.
    """
    code = (
        "import json, django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'code': r.status_code, 'body': r.json()}))"
    )
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(DJANGO_SETTINGS_MODULE="opsflow.settings.test", OPSFLOW_VAR_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_healthz_reports_a_stopped_database(tmp_path):
    result = _healthz_in_subprocess(tmp_path, DATABASE_URL="postgres://opsflow:x@127.0.0.1:1/opsflow")
    assert result["code"] == 503
    assert result["body"] == {"status": "error", "database": "down", "broker": "ok"}


def test_healthz_reports_a_stopped_broker(tmp_path):
    result = _healthz_in_subprocess(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    assert result["code"] == 503
    assert result["body"] == {"status": "error", "database": "ok", "broker": "down"}


def test_healthz_reports_an_unwritable_embedded_broker(tmp_path):
    # the filesystem broker's queue folder is a file: nothing can be queued
    (tmp_path / "broker").mkdir()
    (tmp_path / "broker" / "queue").write_text("not a folder")
    result = _healthz_in_subprocess(tmp_path)
    assert result["code"] == 503
    assert result["body"]["broker"] == "down"
