"""No module imports another module's private name (issue 22; STYLE.md section 1).

Flags ``from x import _y`` and ``import x._y`` where ``x`` is one of our packages (absolute, or relative
as in ``from .execution import _audit``) and ``_y`` starts with one underscore: the name is that module's
own business, so a caller uses (or the owner makes) a public one. Not flagged: dunder names
(``__version__``), a public name imported under a private alias (``import gettext as _``,
``from x import y as _y``), and third-party modules (code that leans on a library's internals lives in
``opsflow/fastpath``, see its index). ruff's PLC2701 checks third-party modules only, hence this script.

Usage: ``python scripts/check_private_imports.py [PATH ...]`` (default: the apps); run by ``make lint``.
Prints one line per import, ``path:line: ...``, and exits 1 when there is any.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

FIRST_PARTY = ("opsflow", "processes", "pilots", "metrics")
DEFAULT_PATHS = FIRST_PARTY
SKIP_PARTS = {"migrations", "__pycache__"}


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute name of the module ``node`` imports from."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join([*base, *([node.module] if node.module else [])])


def violations(path: Path, root: Path) -> list[str]:
    importer = module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    path = path.relative_to(root)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = resolve(node, importer, is_package)
            if source.split(".")[0] not in FIRST_PARTY:
                continue
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{path}:{node.lineno}: {importer} imports the private name {alias.name} of {source}")
            # ``from pkg import _module`` is caught above; a private module in the path as well, unless
            # it belongs to the importer's own package (``processes._x`` for ``processes.views``):
            hidden = [part for part in source.split(".") if private(part)]
            if hidden and not importer.startswith(source.rsplit(".", 1)[0]):
                found.append(f"{path}:{node.lineno}: {importer} imports from the private module {source}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in FIRST_PARTY and any(private(part) for part in parts):
                    found.append(f"{path}:{node.lineno}: {importer} imports the private module {alias.name}")
    return found


def python_files(paths):
    for given in paths:
        path = Path(given)
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            if not SKIP_PARTS & set(file.parts):
                yield file


def check(paths, root: Path) -> list[str]:
    found = []
    for file in python_files(paths):
        found += violations(file.resolve(), root.resolve())
    return found


def main(argv: list[str]) -> int:
    root = Path.cwd()
    found = check(argv or DEFAULT_PATHS, root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} import(s) of a private name: import a public name instead (or make one public).")
        return 1
    print("No module imports another module's private name.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
