"""Read side of the processes app, one module per topic; the public names are re-exported here so
callers write ``from processes import selectors`` / ``selectors.inbox_list(...)``. The topic modules
``calendar`` (the business calendar's deadlines), ``mapping`` (the event-log map and its bottlenecks)
and ``integrations`` are imported by their full path."""

from .base import with_changes
from .cases import case_search
from .org import department_list, department_main_role, user_list
from .projects import history_for_project
from .standards import history_for_process, history_for_version, process_get, process_list, version_get
from .work import (
    INBOX_PAGE_SIZE,
    InboxRow,
    history_for_run,
    inbox_list,
    inbox_page,
    inbox_summary,
    notification_list,
    run_get,
    run_list,
    work_item_get,
)

__all__ = [
    "INBOX_PAGE_SIZE",
    "InboxRow",
    "case_search",
    "department_list",
    "department_main_role",
    "history_for_process",
    "history_for_project",
    "history_for_run",
    "history_for_version",
    "inbox_list",
    "inbox_page",
    "inbox_summary",
    "notification_list",
    "process_get",
    "process_list",
    "run_get",
    "run_list",
    "user_list",
    "version_get",
    "with_changes",
    "work_item_get",
]
