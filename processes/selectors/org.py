"""Read side of the organisation: departments and people, scoped to what a user may see."""

from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, Q

from .. import access
from ..choices import Role
from ..models import Department, User


def department_list(*, user):
    """Departments the user may see, with their members, ordered as a tree (parents first)."""
    members = User.objects.filter(is_active=True).prefetch_related("groups").order_by("username")
    qs = (
        Department.objects.select_related("head", "parent")
        .prefetch_related(Prefetch("members", queryset=members))
        .annotate(member_count=Count("members", distinct=True))
    )
    scope = access.department_scope(user)
    if scope is not None:
        qs = qs.filter(pk__in=scope)
    by_parent = {}
    departments = list(qs)
    visible = {d.pk for d in departments}
    for dept in departments:
        parent = dept.parent_id if dept.parent_id in visible else None
        by_parent.setdefault(parent, []).append(dept)
    ordered = []

    def walk(parent, depth):
        for dept in sorted(by_parent.get(parent, []), key=lambda d: d.name_en):
            dept.depth = depth
            ordered.append(dept)
            walk(dept.pk, depth + 1)

    walk(None, 0)
    return ordered


def user_list(*, user):
    qs = User.objects.select_related("department", "supervisor").prefetch_related("groups").order_by("username")
    scope = access.department_scope(user)
    if scope is not None:
        qs = qs.filter(department__in=scope)
    return qs


def department_main_role(department_id: int) -> str:
    """The role most of a department's active people hold (ops staff when nobody is there): the
    role whose queue gets work addressed to the department as a whole (e.g. pilot feedback)."""
    row = (
        Group.objects.filter(name__in=[Role.OPS_STAFF, Role.PROCESS_SPECIALIST, Role.IT_SUPPORT])  # who does work
        .annotate(
            people=Count("user", filter=Q(user__department_id=department_id, user__is_active=True), distinct=True)
        )
        .filter(people__gt=0)
        .order_by("-people", "name")
        .values_list("name", flat=True)
        .first()
    )
    return row or Role.OPS_STAFF
