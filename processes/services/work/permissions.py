"""Who may do what with a work item: the predicates the services check and the pages and API show."""

from __future__ import annotations

from ... import access
from ...choices import Role, WorkStatus
from ...constants import REASSIGN_TASK, VIEW
from ...models import WorkItem

# Roles that may take any work of their department scope, whatever the step's role.
SUPERVISING_ROLES = (Role.MANAGER, Role.OPERATIONS_DIRECTOR, Role.ADMIN)


def can_see(user, item: WorkItem) -> bool:
    return access.can(user, VIEW, item.department_id) or item.assignee_id == user.pk


def can_claim(user, item: WorkItem) -> bool:
    """Unassigned, open, manual work of the user's role in their department scope."""
    if item.automatic or item.status != WorkStatus.OPEN or item.assignee_id is not None:
        return False
    return can_do_role(user, item.role, item.department_id)


def can_do_role(user, role: str, department_id: int) -> bool:
    if not access.in_scope(user, department_id) or not access.user_roles(user):
        return False
    return access.has_role(user, role, *SUPERVISING_ROLES)


def can_complete(user, item: WorkItem) -> bool:
    if item.automatic or not item.is_open:
        return False
    if item.assignee_id is not None:
        return item.assignee_id == user.pk
    return can_claim(user, item)


def can_reassign(user, item: WorkItem) -> bool:
    return item.is_open and not item.automatic and access.can(user, REASSIGN_TASK, item.department_id)
