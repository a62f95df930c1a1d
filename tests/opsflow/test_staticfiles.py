"""Static files under the production storage: collectstatic succeeds, and pages link what it collected.

collectstatic runs once, as the Dockerfile runs it (production settings, WhiteNoise's compressed manifest
storage), into a temporary STATIC_ROOT; the pages are then rendered with that storage and manifest.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.test import override_settings
from django.urls import reverse

from opsflow.apps import VIEWFLOW_NPM_LEFTOVERS

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_REF = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """STATIC_ROOT filled by `collectstatic --noinput` with the production settings; its manifest."""
    root = tmp_path_factory.mktemp("static")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsflow.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "opsflow.example",
        "DJANGO_STATIC_ROOT": str(root),
        "OPSFLOW_VAR_DIR": str(tmp_path_factory.mktemp("var")),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    return {"root": root, "manifest": manifest}


@pytest.fixture
def manifest_storage(collected):
    """The production storage over the collected files, for the duration of one test."""
    with override_settings(STORAGES=PRODUCTION_STORAGES, STATIC_ROOT=collected["root"], WHITENOISE_USE_FINDERS=False):
        yield collected


def _static_refs(html):
    refs = STATIC_REF.findall(html)
    assert refs, "the page links no static file"
    return refs


def _assert_resolves(root, manifest, url):
    """A linked static URL is a hashed name from the manifest, the file is there, and so is each url() of a CSS."""
    name = url.removeprefix("/static/").split("?")[0]
    assert name in manifest.values(), f"{url} is not a hashed name from the manifest"
    path = root / name
    assert path.is_file(), f"{url} is not in STATIC_ROOT"
    if name.endswith(".css"):
        for ref in CSS_URL.findall(path.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#", "http:", "https:")):
                continue
            target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
            assert target.is_file(), f"{url} refers to {ref}, which was not collected"


def test_collectstatic_with_the_production_storage_writes_the_manifest(collected):
    manifest = collected["manifest"]
    for name in (
        "css/opsflow.css",
        "plotly/plotly.min.js",
        "viewflow/css/viewflow.min.css",
        "viewflow/fonts/roboto/roboto-fontface.css",
        "viewflow/fonts/roboto/Roboto-Regular.woff2",
        "viewflow/fonts/material-icons/material-icons.css",
    ):
        assert name in manifest, name
        assert (collected["root"] / manifest[name]).is_file(), name
        assert manifest[name] != name  # hashed, so it can be cached for ever


def test_only_viewflows_npm_leftovers_are_left_out(collected):
    manifest = collected["manifest"]
    assert not [name for name in manifest if "node_modules" in name]
    # each pattern names a folder viewflow really ships (a pattern that matches nothing hides a mistake)
    import viewflow

    shipped = Path(viewflow.__file__).parent / "static"
    for pattern in VIEWFLOW_NPM_LEFTOVERS:
        assert (shipped / pattern.removesuffix("/*")).is_dir(), pattern
    # our own files are all collected
    ours = {str(p.relative_to(ROOT / "static")) for p in (ROOT / "static").rglob("*") if p.is_file()}
    assert ours - set(manifest) == set()


def test_login_page_assets_resolve(client, org, manifest_storage):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    for url in _static_refs(response.content.decode()):
        _assert_resolves(manifest_storage["root"], manifest_storage["manifest"], url)


@pytest.mark.parametrize(
    ("page", "asset"), [("home", "material-icons"), ("work:inbox", "opsflow"), ("metrics:dashboard", "plotly")]
)
def test_pages_render_under_the_manifest_storage(client, users, manifest_storage, page, asset):
    assert staticfiles_storage.url("css/opsflow.css") == "/static/" + manifest_storage["manifest"]["css/opsflow.css"]
    client.force_login(users["manager"])
    response = client.get(reverse(page))
    assert response.status_code == 200
    html = response.content.decode()
    refs = _static_refs(html)
    assert any(asset in ref for ref in refs)
    for url in refs:
        _assert_resolves(manifest_storage["root"], manifest_storage["manifest"], url)
