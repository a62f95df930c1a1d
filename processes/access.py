"""The one permission layer: roles and department scope, shared by pages and the REST API.

A user's roles are their groups (``processes.choices.Role``); a superuser holds every role. A user's
*department scope* is their own department and the departments they head, each with everything
below it; roles in ``GLOBAL_SCOPE_ROLES`` see the whole organisation. ``can()`` answers "may this user
do this (to something of this department)?"; ``scope_queryset()`` cuts a queryset down to what the
user may see. docs/permissions.md describes the same rules in prose.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from opsflow.fastpath import compiled

from .choices import Role
from .constants import GLOBAL_SCOPE_ROLES, MANAGE_PROJECT, ROLE_CAPABILITIES, UNSCOPED_CAPABILITIES, VIEW
from .models import Department, User

_ROLES_ATTR = "_opsflow_roles"
_SCOPE_ATTR = "_opsflow_scope"


def user_roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _ROLES_ATTR, None)
    if cached is None:
        cached = frozenset(Role.values) if user.is_superuser else _load_roles_and_scope(user)
        setattr(user, _ROLES_ATTR, cached)
    return cached


def _load_roles_and_scope(user) -> frozenset[str]:
    """The user's roles, and their department scope into the user's cache, in one query (every API
    request asks both; docs/benchmarks.md, "REST completions under load", counts the queries saved)."""

    groups = user.groups.through
    user_column = groups._meta.get_field("user").column
    group_column = groups._meta.get_field("group").column
    department = Department._meta
    head_column = department.get_field("head").column
    parent_column = department.get_field("parent").column
    names = list(Role.values)
    # the scope: own department and headed ones (roots), then everything below them
    sql = f"""
        WITH RECURSIVE scope(id) AS (
            SELECT id FROM {department.db_table} WHERE {head_column} = %s OR id = %s
            UNION
            SELECT child.id FROM {department.db_table} child JOIN scope ON child.{parent_column} = scope.id
        )
        SELECT g.name, CAST(NULL AS bigint) FROM auth_group g
            JOIN {groups._meta.db_table} ug ON ug.{group_column} = g.id
            WHERE ug.{user_column} = %s AND g.name IN ({", ".join(["%s"] * len(names))})
        UNION ALL
        SELECT CAST(NULL AS varchar(150)), id FROM scope
    """  # noqa: S608 (table and column names come from the models, values are parameters)  # nosec B608
    with connection.cursor() as cursor:
        compiled.execute(cursor, sql, [user.pk, user.department_id, user.pk, *names])
        rows = cursor.fetchall()
    setattr(user, _SCOPE_ATTR, frozenset(pk for name, pk in rows if name is None))
    return frozenset(name for name, _pk in rows if name is not None)


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user).intersection(roles))


def capabilities(user) -> frozenset[str]:
    result: set[str] = set()
    for role in user_roles(user):
        result |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(result)


def _descendants(roots: Iterable[int]) -> set[int]:
    children = defaultdict(list)
    for pk, parent_id in Department.objects.values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    found, stack = set(), list(roots)
    while stack:
        pk = stack.pop()
        if pk in found:
            continue
        found.add(pk)
        stack.extend(children[pk])
    return found


def departments_under(roots: Iterable[int]) -> set[int]:
    """The departments ``roots`` and every department below them."""
    return _descendants(roots)


def departments_above(department_id: int | None) -> set[int]:
    """The departments above ``department_id`` (its parent, the parent's parent, ...)."""

    parents = dict(Department.objects.values_list("pk", "parent_id"))
    found: set[int] = set()
    node = parents.get(department_id)
    while node is not None and node not in found:
        found.add(node)
        node = parents.get(node)
    return found


def department_scope(user) -> frozenset[int] | None:
    """The ids of the departments the user works in, or ``None`` when they see every department."""
    roles = user_roles(user)
    if not roles:
        return frozenset()
    if roles & GLOBAL_SCOPE_ROLES:
        return None
    if getattr(user, _SCOPE_ATTR, None) is None:  # ``user_roles`` loads both; read again if dropped since
        _load_roles_and_scope(user)
    return getattr(user, _SCOPE_ATTR)


def in_scope(user, department_id: int | None) -> bool:
    scope = department_scope(user)
    if scope is None:
        return True
    return department_id is not None and department_id in scope


def can(user, capability: str, department_id: int | None = None, *, any_department: bool = False) -> bool:
    """May ``user`` use ``capability`` on something owned by ``department_id``?

    ``any_department=True`` asks whether the user holds the capability somewhere at all (to show a
    menu entry or a "new" button); the department is then checked when the object is chosen.
    """
    if capability not in capabilities(user):
        return False
    if any_department or capability in UNSCOPED_CAPABILITIES:
        return True
    return in_scope(user, department_id)


def scope_queryset(user, queryset: QuerySet, field: str = "department") -> QuerySet:
    """Only the rows whose ``field`` (a department foreign key path) lies in the user's scope."""
    if VIEW not in capabilities(user):
        return queryset.none()
    scope = department_scope(user)
    if scope is None:
        return queryset
    return queryset.filter(**{f"{field}__in": scope})


def forget(user) -> None:
    """Drop the cached roles and scope (after groups or departments changed)."""
    for attr in (_ROLES_ATTR, _SCOPE_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


# Measurements and event reporting (issue 21)
# ------------------------------------------------------------------------------


def can_write_measurements(user, department_id: int | None = None, *, any_department: bool = False) -> bool:
    """May ``user`` enter, post or import measurements of a process of ``department_id``? The roles that
    run improvement projects and create effect evaluations (whose baselines the measurements are), in
    their scope; ops staff and IT support only read them."""

    return can(user, MANAGE_PROJECT, department_id, any_department=any_department)


def can_manage_integration_accounts(user, department_id: int | None = None, *, any_department: bool = False) -> bool:
    """May ``user`` let an integration account report events for the people of ``department_id``?
    Managers for the departments of their scope, administrators for every department."""
    if not has_role(user, Role.MANAGER, Role.ADMIN):
        return False
    return any_department or in_scope(user, department_id)


# References
# ------------------------------------------------------------------------------
# Every write that names another object (a process, a version, a department, a person, ...) may only
# name one the caller could read: the API and the forms narrow each reference to ``referable()``, so
# an object out of scope is refused exactly like an id that does not exist. The table says, for each
# model a write may reference, the path from it to the department that scopes it; ``None`` marks a
# catalogue the whole organisation shares. A model missing from the table is referable by nobody
# (tests/security/test_references.py fails until it is added here).
# People must also still work here.
REFERENCE_SCOPES: dict[str, str | None] = {
    # the organisation directory is everyone's to read: naming a department or a person reveals nothing;
    # what a person may be given (an owner, a member, an attendee) is the object's rule, in its service
    "processes.department": None,
    "processes.user": None,
    "processes.process": "department",
    "processes.standardversion": "process__department",
    "processes.step": "version__process__department",
    "processes.exceptionplan": "version__process__department",
    "processes.improvementproject": "department",
    "processes.problem": "project__department",
    "processes.run": "department",
    "processes.workitem": "department",
    "processes.case": "department",
    "processes.casetag": None,
    "metrics.indicator": None,
    "metrics.evaluation": "process__department",
    "metrics.review": "project__department",
    "pilots.pilot": "version__process__department",
    "pilots.rolloutplan": "version__process__department",
    "pilots.milestone": "plan__version__process__department",
    "pilots.trainingsession": "plan__version__process__department",
}


def referable(user, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` that ``user`` may name in a write: those they may read. People must
    also still work here (``is_active``)."""
    model = queryset.model
    label = model._meta.label_lower
    if label not in REFERENCE_SCOPES or VIEW not in capabilities(user):
        return queryset.none()
    if label == "processes.user":
        queryset = queryset.filter(is_active=True)
    field = REFERENCE_SCOPES[label]
    if field is None:
        return queryset
    scope = department_scope(user)
    if scope is None:
        return queryset
    return queryset.filter(**{f"{field}__in": scope})


def people_in(department_ids: Iterable[int]) -> QuerySet:
    """Active people of the departments ``department_ids`` and every department below them: who may
    own, be assigned to or take part in an object of those departments."""

    return User.objects.filter(is_active=True, department__in=departments_under(department_ids))


def outsiders(people: Iterable, department_ids: Iterable[int], *, owner_department_id: int | None = None) -> list:
    """Those of ``people`` (users, ``None`` skipped) who may not take part in an object covering
    ``department_ids``: they work neither in those departments (or below) nor see the object's own
    department (``owner_department_id``) through their scope anyway (the operations director, a head)."""
    allowed = departments_under(department_ids)
    return [
        p
        for p in people
        if p is not None
        and p.department_id not in allowed
        and not (owner_department_id is not None and in_scope(p, owner_department_id))
    ]
