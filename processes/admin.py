from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import calendar
from .models import CalendarDay, Department, ExceptionPlan, Process, StandardVersion, Step, User


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


class StepInline(admin.StackedInline):
    model = Step
    extra = 0


class ExceptionPlanInline(admin.StackedInline):
    model = ExceptionPlan
    extra = 0


@admin.register(Process)
class ProcessAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_en", "name_zh", "department"]
    search_fields = ["code", "name_en", "name_zh"]
    list_filter = ["department"]


@admin.register(StandardVersion)
class StandardVersionAdmin(SimpleHistoryAdmin):
    """Read-only here: versions change through the template 2 pages and the API (services)."""

    list_display = ["process", "number", "status", "author", "approved_by", "published_at"]
    list_filter = ["status", "process"]
    inlines = [StepInline, ExceptionPlanInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    """IT support enters each new year's public holidays and make-up working days here."""

    list_display = ["date", "kind", "name_en", "name_zh", "source"]
    list_filter = ["kind", "source", ("date", admin.DateFieldListFilter)]
    search_fields = ["name_en", "name_zh"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        calendar.reload()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        calendar.reload()
