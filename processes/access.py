"""The one permission layer: roles and department scope, shared by pages and the REST API.

A user's roles are their groups (``processes.choices.Role``); a superuser holds every role. A user's
*department scope* is their own department and the departments they head, each with everything
below it; roles in ``GLOBAL_SCOPE_ROLES`` see the whole organisation. ``can()`` answers "may this user
do this (to something of this department)?"; ``scope_queryset()`` cuts a queryset down to what the
user may see. docs/permissions.md describes the same rules in prose.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from .choices import Role
from .constants import GLOBAL_SCOPE_ROLES, ROLE_CAPABILITIES, UNSCOPED_CAPABILITIES, VIEW

_ROLES_ATTR = "_opsflow_roles"
_SCOPE_ATTR = "_opsflow_scope"


def user_roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _ROLES_ATTR, None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset(Role.values)
        else:
            cached = frozenset(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        setattr(user, _ROLES_ATTR, cached)
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user).intersection(roles))


def capabilities(user) -> frozenset[str]:
    result: set[str] = set()
    for role in user_roles(user):
        result |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(result)


def _descendants(roots: Iterable[int]) -> set[int]:
    from .models import Department

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


def department_scope(user) -> frozenset[int] | None:
    """The ids of the departments the user works in, or ``None`` when they see every department."""
    roles = user_roles(user)
    if not roles:
        return frozenset()
    if roles & GLOBAL_SCOPE_ROLES:
        return None
    cached = getattr(user, _SCOPE_ATTR, None)
    if cached is None:
        roots = set(user.headed_departments.values_list("pk", flat=True))
        if user.department_id:
            roots.add(user.department_id)
        cached = frozenset(_descendants(roots))
        setattr(user, _SCOPE_ATTR, cached)
    return cached


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
