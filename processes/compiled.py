"""Shim: migration 0015 names ``processes.compiled.CompiledSaves`` as a base of ``RunTask``; the code
lives in ``opsflow.fastpath.compiled`` (see ``opsflow/fastpath/__init__.py``)."""

from opsflow.fastpath.compiled import CompiledSaves

__all__ = ["CompiledSaves"]
