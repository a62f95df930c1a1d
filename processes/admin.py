from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Department, User


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
