"""The layers are a rule the tools keep (issue 22): ``make lint`` runs ``lint-imports`` with the contracts
of pyproject.toml and ``scripts/check_private_imports.py``. Each check is shown to fail on an import
planted in a copy of the tree, naming it, and to say nothing about it without the plant."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ("opsflow", "processes", "pilots", "metrics")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def copy_tree(target: Path) -> Path:
    for app in APPS:
        shutil.copytree(ROOT / app, target / app, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return subprocess.run(  # noqa: S603 (a fixed command line)
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def private_imports():
    spec = importlib.util.spec_from_file_location("check_private_imports", ROOT / "scripts/check_private_imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    tree = copy_tree(tmp_path_factory.mktemp("planted"))
    # plumbing that imports an app, and the lowest app importing the highest
    (tree / "opsflow/api/planted.py").write_text("from processes.models import Department  # noqa: F401\n")
    (tree / "processes/planted.py").write_text("def later():\n    from pilots import models  # noqa: F401\n")
    return tree


def test_lint_imports_fails_on_a_planted_cross_layer_import(planted):
    result = lint_imports(planted)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "opsflow.api.planted -> processes.models" in output  # plumbing imports no app
    assert "processes.planted -> pilots.models" in output  # processes is below pilots (function-local too)


def test_lint_imports_names_no_planted_import_in_the_real_tree():
    """On the grid branch alone the real tree still breaks the layers contract where the kernel and
    domains branches remove imports (processes -> pilots/metrics, metrics -> pilots); the plumbing
    contract is kept."""
    result = lint_imports(ROOT)
    output = result.stdout + result.stderr
    assert "planted" not in output
    assert "opsflow plumbing imports no app KEPT" in output


def test_the_private_name_check_fails_on_a_planted_import(tmp_path):
    check = private_imports()
    package = tmp_path / "processes"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "kernel.py").write_text("def _audit():\n    pass\n\n\ndef audit():\n    pass\n")
    (package / "fine.py").write_text(
        "from django.utils.translation import gettext as _\n"
        "import gettext as _gettext\n"
        "from .kernel import audit as _audit\n"
        "from processes import __name__ as __package_name__\n"
    )
    (package / "planted.py").write_text("def later():\n    from .kernel import _audit\n")
    (package / "absolute.py").write_text("from processes.kernel import _audit\n")

    found = check.check([package], tmp_path)

    assert found == [
        "processes/absolute.py:1: processes.absolute imports the private name _audit of processes.kernel",
        "processes/planted.py:2: processes.planted imports the private name _audit of processes.kernel",
    ]
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [sys.executable, str(ROOT / "scripts/check_private_imports.py"), "processes"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "processes.planted imports the private name _audit of processes.kernel" in result.stdout
    (package / "planted.py").unlink()
    (package / "absolute.py").unlink()
    assert check.check([package], tmp_path) == []
