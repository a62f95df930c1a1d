from rest_framework.permissions import SAFE_METHODS, BasePermission

from .. import access
from ..constants import VIEW


class RolePermission(BasePermission):
    """DRF face of processes.access: the same roles and department scope as the pages.

    A view states ``read_capability`` (default: view) and ``write_capability`` (default: none, so the
    endpoint is read-only), or ``action_capabilities`` for its custom actions. Objects are checked
    against their department through ``view.object_department_id(obj)`` (default: ``obj.department_id``).
    """

    def _capability(self, request, view):
        action = getattr(view, "action", None)
        per_action = getattr(view, "action_capabilities", {}) or {}
        if action in per_action:
            return per_action[action]
        if request.method in SAFE_METHODS:
            return getattr(view, "read_capability", VIEW)
        return getattr(view, "write_capability", None)

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        capability = self._capability(request, view)
        if capability is None:
            return False
        return access.can(user, capability, any_department=True)

    def has_object_permission(self, request, view, obj):
        capability = self._capability(request, view)
        getter = getattr(view, "object_department_id", None)
        department_id = getter(obj) if getter else getattr(obj, "department_id", None)
        return capability is not None and access.can(request.user, capability, department_id)
