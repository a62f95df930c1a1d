"""What each role may do. docs/permissions.md is the prose version of this table; keep them in step."""

from .choices import Role

# Capabilities checked by processes.access.can(). "scoped" ones also need the object's department
# to be inside the user's department scope; roles in GLOBAL_SCOPE_ROLES see every department.
VIEW = "view"  # see processes, standards, runs, projects of a department
AUTHOR_STANDARD = "author_standard"  # create and edit processes and draft standard versions
APPROVE_STANDARD = "approve_standard"  # approve and publish versions (never one's own)
MANAGE_PROJECT = "manage_project"  # run improvement projects, approve phase gates
REASSIGN_TASK = "reassign_task"  # hand another person's task to someone else
VIEW_DASHBOARDS = "view_dashboards"  # manager dashboards and effect tables
MANAGE_ORG = "manage_org"  # departments, users, roles, business calendar, integrations
VIEW_ORG = "view_org"  # the organisation directory

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OPS_STAFF: frozenset({VIEW, VIEW_ORG}),
    Role.PROCESS_SPECIALIST: frozenset({VIEW, VIEW_ORG, AUTHOR_STANDARD, MANAGE_PROJECT, VIEW_DASHBOARDS}),
    Role.MANAGER: frozenset(
        {VIEW, VIEW_ORG, AUTHOR_STANDARD, APPROVE_STANDARD, MANAGE_PROJECT, REASSIGN_TASK, VIEW_DASHBOARDS}
    ),
    Role.OPERATIONS_DIRECTOR: frozenset(
        {VIEW, VIEW_ORG, AUTHOR_STANDARD, APPROVE_STANDARD, MANAGE_PROJECT, REASSIGN_TASK, VIEW_DASHBOARDS}
    ),
    Role.IT_SUPPORT: frozenset({VIEW, VIEW_ORG, MANAGE_ORG}),
    Role.ADMIN: frozenset(
        {
            VIEW,
            VIEW_ORG,
            AUTHOR_STANDARD,
            APPROVE_STANDARD,
            MANAGE_PROJECT,
            REASSIGN_TASK,
            VIEW_DASHBOARDS,
            MANAGE_ORG,
        }
    ),
}

# Roles whose department scope is the whole organisation.
GLOBAL_SCOPE_ROLES = frozenset({Role.OPERATIONS_DIRECTOR, Role.ADMIN, Role.IT_SUPPORT})
# Capabilities that do not depend on a department (organisation-wide by nature).
UNSCOPED_CAPABILITIES = frozenset({MANAGE_ORG, VIEW_ORG, VIEW_DASHBOARDS})
