"""People, roles and the audit trail of role changes in the admin site (issue 21, hole 1).

IT support manages people but never grants rights above its own (``services.accounts``): the change
form offers only the groups the editor may grant, never the superuser flag or direct permissions, and
a person who outranks the editor (a superuser, or a holder of a role the editor cannot grant) is
read-only to them, password and e-mail included. The rules are checked on the server: a crafted POST
is refused like the form would refuse it. Role groups themselves are edited by superusers only.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ..choices import Role
from ..models import Department, RoleChange, User
from ..services import accounts

SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_en", "name_zh", "parent", "head"]
    search_fields = ["code", "name_en", "name_zh"]
    autocomplete_fields = ["parent", "head"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "department", "supervisor", "is_active"]
    list_filter = ["department", "groups", "is_active"]
    autocomplete_fields = ["department", "supervisor"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("department", "supervisor", "language")}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        # fields left out of the form are left out of the POST too: a crafted value is ignored
        return tuple(
            (name, {**options, "fields": tuple(f for f in options["fields"] if f not in SUPERUSER_ONLY_FIELDS)})
            for name, options in fieldsets
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = accounts.groups_grantable(actor=request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        # covers the change form, the set-password view and reverting from the history
        return obj is None or not accounts.user_outranks(actor=request.user, user=obj)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or not accounts.user_outranks(actor=request.user, user=obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("delete_selected", None)  # a bulk delete would not ask about each person's rights
        return actions

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A version may hold flags the editor cannot grant (e.g. superuser before a demotion), and
        # reverting restores all of them: only superusers revert people.
        if request.method == "POST" and not request.user.is_superuser:
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return not request.user.is_superuser or super().revert_disabled(request, obj)

    def save_model(self, request, obj, form, change):
        previous = User.objects.filter(pk=obj.pk).first() if obj.pk else None
        if previous is not None and not request.user.is_superuser:
            # never trust the form alone with the flags above the editor's own
            obj.is_superuser = previous.is_superuser
            if not request.user.is_staff:
                obj.is_staff = previous.is_staff
        request._opsflow_rights_before = accounts.rights_of(previous) if previous is not None else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        accounts.role_changes_record(
            actor=request.user,
            user=form.instance,
            before=getattr(request, "_opsflow_rights_before", set()),
            after=accounts.rights_of(form.instance),
        )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Role groups and their permissions are kept by the code (``processes.roles``); only superusers
    change them, so nobody grants themselves permissions through their own group."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """The audit trail: every role and flag granted or revoked, by whom and when (read-only)."""

    list_display = ["at", "username", "role_display", "granted", "actor_username"]
    list_filter = ["granted", "role", "at"]
    search_fields = ["username", "actor_username", "role"]
    date_hierarchy = "at"
    fields = ["at", "user", "username", "role", "granted", "actor", "actor_username"]
    readonly_fields = fields

    @admin.display(description=_("role or flag"), ordering="role")
    def role_display(self, obj):
        labels = {RoleChange.SUPERUSER: _("Superuser"), RoleChange.STAFF: _("Staff (admin site)"), **dict(Role.choices)}
        return labels.get(obj.role, obj.role)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
