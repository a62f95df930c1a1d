"""The work kernel: runs of standards, work items (the inbox), exceptions, escalation and notifications.

Every state change of a run goes through here: the viewflow lock on the run's process is taken first,
then the work item's row lock, so two requests never both complete a step; escalations and
notifications are rows with unique keys written in the same transaction as the state change, so a
retried Celery task or a second sweep never doubles them. Times can be given (``at``/``now``) so
imports, demos and tests can place work in the past; they default to the present.

Use it as ``from processes.services import work`` (``work.item_complete(...)``) or import the names
below from ``processes.services.work``; what is not listed in ``__all__`` is the modules' own:

- ``locking``: ``Conflict``, ``Visible``/``visible_to``, ``locked`` (the run's and the item's lock),
  ``guarded`` (a lost race for the lock becomes a ``Conflict``), ``lock_item``;
- ``clock``: ``now``, ``clock_at`` (everything inside happens at a given time), ``seconds``;
- ``audit``: ``audit``, ``save_audited``, ``clean_and_save``, ``batched_history`` (who changed what);
- ``permissions``: ``can_see``, ``can_claim``, ``can_do_role``, ``can_complete``, ``can_reassign``;
- ``runs``: ``run_start``, ``step_task_created``, ``task_department``, ``escalation_levels``;
- ``items``: claim, release, reassign, complete, report done, ``apply_completion``, work outside
  runs (``work_item_open``/``work_item_cancel``) and ``exception_report``;
- ``policy``: escalation policies as ``PolicyLevel`` values, ``DEFAULT_ESCALATION``, ``next_escalation``;
- ``escalation``: the sweep, its chunks and the single item (one level walk, ``due_levels``);
- ``notifications``: the one place that creates notification rows and queues their delivery, one
  ``NotificationDelivery`` per channel of ``processes.channels`` (``notification_deliver``).
"""

from ...kinds import Kind, kind_choices, kind_get, kind_register, work_finished
from .audit import audit, batched_history, clean_and_save, save_audited
from .clock import clock_at, now, seconds
from .escalation import ChunkCache, due_levels, escalate_item, escalate_items, escalation_sweep
from .items import (
    COMPLETION_FIELDS,
    apply_completion,
    exception_report,
    item_claim,
    item_complete,
    item_reassign,
    item_release,
    item_report_done,
    run_finish_if_done,
    work_item_cancel,
    work_item_open,
)
from .locking import LOCKING_READ, LOCKING_READ_VISIBLE, Conflict, Visible, guarded, lock_item, locked, visible_to
from .notifications import (
    Delivered,
    notification_deliver,
    notification_email,
    notification_emails,
    notifications_mark_read,
    notifications_resend,
    notify,
)
from .permissions import SUPERVISING_ROLES, can_claim, can_complete, can_do_role, can_reassign, can_see
from .policy import DEFAULT_ESCALATION, Policy, PolicyLevel, next_escalation, policy_levels, policy_rows
from .runs import (
    RunRoute,
    escalation_levels,
    run_router_register,
    run_start,
    step_specs,
    step_task_created,
    task_department,
)

__all__ = [
    "COMPLETION_FIELDS",
    "DEFAULT_ESCALATION",
    "LOCKING_READ",
    "LOCKING_READ_VISIBLE",
    "SUPERVISING_ROLES",
    "ChunkCache",
    "Delivered",
    "Conflict",
    "Kind",
    "Policy",
    "RunRoute",
    "PolicyLevel",
    "Visible",
    "apply_completion",
    "audit",
    "batched_history",
    "clean_and_save",
    "can_claim",
    "can_complete",
    "can_do_role",
    "can_reassign",
    "can_see",
    "clock_at",
    "due_levels",
    "escalate_item",
    "escalate_items",
    "escalation_levels",
    "escalation_sweep",
    "exception_report",
    "guarded",
    "item_claim",
    "item_complete",
    "item_reassign",
    "item_release",
    "item_report_done",
    "kind_choices",
    "kind_get",
    "kind_register",
    "lock_item",
    "locked",
    "next_escalation",
    "notification_deliver",
    "notification_email",
    "notification_emails",
    "notifications_mark_read",
    "notifications_resend",
    "notify",
    "now",
    "policy_levels",
    "policy_rows",
    "run_finish_if_done",
    "run_router_register",
    "run_start",
    "save_audited",
    "seconds",
    "step_specs",
    "step_task_created",
    "task_department",
    "visible_to",
    "work_finished",
    "work_item_cancel",
    "work_item_open",
]
