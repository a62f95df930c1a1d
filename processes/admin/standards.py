"""Processes and their standard versions (template 2) in the admin site."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import ExceptionPlan, Process, StandardVersion, Step


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
