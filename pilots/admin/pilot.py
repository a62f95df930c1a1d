"""Admin pages of pilots and rollout: for support staff to look things up. Pilots, stand-ups and
feedback change on the pilot pages (their services open draft versions and inbox work), so these
pages are read-only."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import CustomerInterview, FeedbackItem, Pilot, PilotRun, StandUp, Survey


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FeedbackInline(admin.TabularInline):
    model = FeedbackItem
    extra = 0
    fields = ["number", "department", "problem", "responsible_department", "due_days", "status", "work_item"]
    readonly_fields = fields
    can_delete = False


@admin.register(Pilot)
class PilotAdmin(ReadOnlyAdmin):
    list_display = ["name_en", "version", "starts_on", "ends_on", "status", "owner"]
    list_filter = ["status"]
    search_fields = ["name_en", "name_zh"]
    inlines = [FeedbackInline]


@admin.register(PilotRun)
class PilotRunAdmin(admin.ModelAdmin):
    list_display = ["pilot", "run", "arm"]
    list_filter = ["arm", "pilot"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StandUp)
class StandUpAdmin(ReadOnlyAdmin):
    list_display = ["pilot", "held_on", "draft_version"]
    list_filter = ["pilot"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ["title_en", "pilot", "is_open", "created_at"]


@admin.register(CustomerInterview)
class CustomerInterviewAdmin(ReadOnlyAdmin):
    list_display = ["customer", "pilot", "held_on", "satisfaction"]
