"""Every write of the processes app goes through these services (permission checks, audit, transactions)."""

from .standards import (
    ChildRowsInvalid,
    process_create,
    process_update,
    version_approve,
    version_compare,
    version_create,
    version_new_draft,
    version_publish,
    version_reject,
    version_save,
    version_submit,
)

__all__ = [
    "ChildRowsInvalid",
    "process_create",
    "process_update",
    "version_approve",
    "version_compare",
    "version_create",
    "version_new_draft",
    "version_publish",
    "version_reject",
    "version_save",
    "version_submit",
]
