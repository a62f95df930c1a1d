"""Who may grant which rights, and the audit trail of every grant and revoke (issue 21, hole 1).

A person may grant a role only when the role's rights are a subset of their own: its capabilities
(``constants.ROLE_CAPABILITIES``), its Django permissions (the group's, as stored) and, for a role
that sees the whole organisation, a global scope of their own. Superusers may grant everything. With
the demo roles IT support may grant *ops staff* and *IT support*; the other roles carry rights IT
support does not hold (authoring, approving, dashboards, or the whole admin role). A person who holds
a right the actor cannot grant "outranks" the actor: the actor may not change them at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .. import access
from ..choices import Role
from ..constants import GLOBAL_SCOPE_ROLES, ROLE_CAPABILITIES
from ..models import RoleChange


def _permission_names(permissions) -> set[str]:
    return {f"{app}.{code}" for app, code in permissions.values_list("content_type__app_label", "codename")}


def groups_grantable(*, actor):
    """The groups ``actor`` may give or take away (a queryset)."""
    groups = Group.objects.order_by("name")
    if actor.is_superuser:
        return groups
    if not actor.is_active:
        return groups.none()
    own_capabilities = access.capabilities(actor)
    own_permissions = actor.get_all_permissions()
    own_global = bool(access.user_roles(actor) & GLOBAL_SCOPE_ROLES)
    allowed = []
    for group in groups.prefetch_related("permissions__content_type"):
        if group.name == Role.ADMIN:
            continue  # the administrator role stands for every right, whatever its rows say
        if not ROLE_CAPABILITIES.get(group.name, frozenset()) <= own_capabilities:
            continue
        if group.name in GLOBAL_SCOPE_ROLES and not own_global:
            continue
        if {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()} <= own_permissions:
            allowed.append(group.pk)
    return groups.filter(pk__in=allowed)


def user_outranks(*, actor, user) -> bool:
    """Does ``user`` hold a right ``actor`` cannot grant (superuser, a role or a permission above the
    actor's)? Then ``actor`` may not change them, their password or their e-mail."""
    if actor.is_superuser:
        return False
    if user.is_superuser:
        return True
    if user.pk is None:
        return False
    grantable = set(groups_grantable(actor=actor).values_list("pk", flat=True))
    if set(user.groups.values_list("pk", flat=True)) - grantable:
        return True
    direct = _permission_names(Permission.objects.filter(user=user))
    return not direct <= actor.get_all_permissions()


def rights_of(user) -> set[str]:
    """The user's roles (group names) and flags, as recorded in ``RoleChange.role``."""
    rights = set(user.groups.values_list("name", flat=True)) if user.pk else set()
    if user.is_superuser:
        rights.add(RoleChange.SUPERUSER)
    if user.is_staff:
        rights.add(RoleChange.STAFF)
    return rights


@transaction.atomic
def role_changes_record(*, actor, user, before: Iterable[str], after: Iterable[str]) -> list[RoleChange]:
    """Record what was granted (in ``after`` only) and revoked (in ``before`` only)."""
    before, after = set(before), set(after)
    rows = [
        RoleChange(
            user=user,
            username=user.get_username(),
            actor=actor,
            actor_username=actor.get_username() if actor else "",
            role=role,
            granted=granted,
        )
        for granted, roles in ((True, after - before), (False, before - after))
        for role in sorted(roles)
    ]
    for row in rows:
        row.full_clean()
    return RoleChange.objects.bulk_create(rows)
