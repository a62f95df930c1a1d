import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in ("SECRET_KEY", "ALLOWED_HOSTS")
    }
    environment.update(DJANGO_SETTINGS_MODULE="opsflow.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_ALLOWED_HOSTS="opsflow.example")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_the_development_key():
    from opsflow.settings.base import SECRET_KEY as development_key

    result = _manage("check", DJANGO_ALLOWED_HOSTS="opsflow.example", DJANGO_SECRET_KEY=development_key)
    assert result.returncode != 0
    assert "development key is refused" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ALLOWED_HOSTS="opsflow.example",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
    )
    assert result.returncode == 0, result.stderr + result.stdout
