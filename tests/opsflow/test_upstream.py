"""The upstream tripwire: the fast path leans on library internals; when a library moves past the
version they were verified on, or one of those internals changes, these tests fail and say what to
re-verify (the table and the steps: opsflow/fastpath/verified.py)."""

import importlib.metadata
import re
from pathlib import Path

import opsflow.fastpath
from opsflow.fastpath import switches, verified

HOW = (
    "Re-verify as opsflow/fastpath/verified.py says: read the upstream diff, run tests/opsflow/test_fastpath.py "
    "and `make bench` (compare with the docs/benchmarks.md section the index in opsflow/fastpath/__init__.py "
    "names), then update the table."
)
# named in the index although no switch of OPSFLOW_FAST_PATH turns them off
NOT_SWITCHED = {"prepared_statements", "knox_cleanup", "kernel", "listed"}


def test_the_libraries_are_the_versions_the_tricks_were_verified_on():
    moved = {
        name: (verified_on, importlib.metadata.version(name))
        for name, verified_on in verified.VERSIONS.items()
        if importlib.metadata.version(name) != verified_on
    }
    lines = []
    for name, (old, new) in moved.items():
        lines.append(f"{name} moved from {old} (verified) to {new}; the internals it lends the fast path:")
        lines += [
            f"  - {i.path} ({', '.join(i.tricks)}): {i.check}"
            for i in verified.INTERNALS
            if _distribution(i.path) == name
        ]
        lines.append(f'  then set VERSIONS["{name}"] = "{new}"')
    assert not moved, "\n".join([*lines, HOW])


def test_every_internal_the_fast_path_relies_on_is_unchanged():
    changed = []
    for internal in verified.INTERNALS:
        try:
            source, signature = verified.fingerprint(internal.path)
        except (ImportError, AttributeError, TypeError, OSError) as exc:
            changed.append(
                f"- {internal.path} is gone ({exc!r}); used by {', '.join(internal.tricks)}: {internal.check}"
            )
            continue
        if (source, signature) != (internal.source, internal.signature):
            changed.append(
                f"- {internal.path} changed (source {internal.source} -> {source}, signature "
                f"{internal.signature!r} -> {signature!r}); used by {', '.join(internal.tricks)}. Check: "
                f"{internal.check}. Then: source={source!r}, signature={signature!r}"
            )
    assert not changed, "\n".join([*changed, HOW])


def test_the_index_names_every_trick_and_every_internal_belongs_to_one():
    index = opsflow.fastpath.__doc__
    known = set(switches.TRICKS) | NOT_SWITCHED
    for name in known:
        assert f"``{name}``" in index, f"opsflow/fastpath/__init__.py: the index does not list {name}"
    for internal in verified.INTERNALS:
        assert set(internal.tricks) <= known, f"{internal.path}: unknown trick in {internal.tricks}"
        assert _distribution(internal.path) in verified.VERSIONS, internal.path
    paths = [internal.path for internal in verified.INTERNALS]
    assert len(paths) == len(set(paths))
    # every switch has at least one internal behind it, except those leaning on nothing but Python's gc
    assert {t for i in verified.INTERNALS for t in i.tricks} >= set(switches.TRICKS) - {"gc_freeze"}


def test_the_benchmark_sections_the_index_names_exist():
    index = " ".join(opsflow.fastpath.__doc__.split())
    named = re.findall(r'\[([A-Z])\] "([^"]+)"', index)
    assert len(named) >= 6
    headings = {
        line.lstrip("#").strip()
        for line in (Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md").read_text().splitlines()
        if line.startswith("#")
    }
    missing = [f"[{key}] {heading}" for key, heading in named if heading not in headings]
    assert not missing, f"opsflow/fastpath/__init__.py names sections docs/benchmarks.md lacks: {missing}"
    for key in {key for key, _heading in named}:
        assert index.count(f"[{key}]") > 1, f"section [{key}] is named but no trick points at it"


def test_a_changed_internal_is_reported_with_what_to_check(monkeypatch):
    internal = verified.INTERNALS[0]
    moved = verified.Internal(internal.path, internal.tricks, internal.check, "0" * 16, internal.signature)
    monkeypatch.setattr(verified, "INTERNALS", (moved,))
    try:
        test_every_internal_the_fast_path_relies_on_is_unchanged()
    except AssertionError as exc:
        message = str(exc)
    else:
        raise AssertionError("a changed source hash was not reported")
    assert "django.db.models.base.Model._do_update changed" in message
    assert "compiled_saves" in message and internal.check in message and f"source={internal.source!r}" in message
    assert "make bench" in message


def _distribution(path):
    return {
        "django": "django",
        "viewflow": "django-viewflow",
        "simple_history": "django-simple-history",
        "knox": "django-rest-knox",
        "rest_framework": "djangorestframework",
    }[path.split(".")[0]]
