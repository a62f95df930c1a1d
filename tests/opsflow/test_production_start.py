"""The Dockerfile, docker-compose.yml and CI's production smoke start OpsFlow through one script."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
ENTRYPOINT = ["sh", "scripts/docker-entrypoint.sh"]


def test_the_image_builds_and_starts_the_web_through_the_entrypoint():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "RUN sh scripts/docker-entrypoint.sh build" in dockerfile
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE).group(1)
    assert json.loads(cmd) == [*ENTRYPOINT, "web"]


def test_compose_runs_web_worker_and_beat_through_the_entrypoint():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["command"] == [*ENTRYPOINT, name], name


def test_the_entrypoint_knows_each_command_the_image_and_compose_use():
    script = (ROOT / "scripts/docker-entrypoint.sh").read_text()
    for command in ("build", "migrate", "web", "worker", "beat"):
        assert re.search(rf"^  {command}\)$", script, re.MULTILINE), command


def test_ci_runs_the_production_smoke_with_the_same_entrypoint():
    assert "bash scripts/production_smoke.sh" in (ROOT / ".ci/run").read_text()
    smoke = (ROOT / "scripts/production_smoke.sh").read_text()
    for command in ("build", "migrate"):
        assert f"sh scripts/docker-entrypoint.sh {command}" in smoke, command
    for command in ("web", "worker", "beat"):
        assert f"start {command} {command}" in smoke, command
    # not editable, no extras, built from exactly what the Dockerfile copies before its `pip install .`
    assert 'pip" install --quiet --disable-pip-version-check "$WORK/src"' in smoke
    before_install = (ROOT / "Dockerfile").read_text().split("RUN pip install")[0]
    copied = [name for line in re.findall(r"^COPY (.+)$", before_install, re.MULTILINE) for name in line.split()[:-1]]
    assert f'cp -R {" ".join(copied)} "$WORK/src/"' in smoke
