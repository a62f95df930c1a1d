"""Admin pages of the rollout, for support staff to look things up and correct data. Plans, milestones
and training are meant to be changed on the rollout pages (their services open and close inbox work)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import Attendance, DepartmentSwitch, Milestone, MonitoringReview, RolloutPlan, TrainingSession


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["position", "title_en", "title_zh", "owner", "due_on", "status", "switches_department", "work_item"]
    readonly_fields = ["status", "work_item"]
    autocomplete_fields = ["owner"]


class DepartmentSwitchInline(admin.TabularInline):
    model = DepartmentSwitch
    extra = 0
    readonly_fields = ["milestone", "recorded_by"]


@admin.register(RolloutPlan)
class RolloutPlanAdmin(SimpleHistoryAdmin):
    list_display = ["name_en", "version", "owner", "starts_on", "daily_until", "ends_on", "status"]
    list_filter = ["status"]
    search_fields = ["name_en", "name_zh"]
    autocomplete_fields = ["owner", "created_by"]
    inlines = [MilestoneInline, DepartmentSwitchInline]


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(SimpleHistoryAdmin):
    list_display = ["title_en", "plan", "tier", "starts_at", "trainer"]
    list_filter = ["tier"]
    search_fields = ["title_en", "title_zh"]
    inlines = [AttendanceInline]


@admin.register(MonitoringReview)
class MonitoringReviewAdmin(SimpleHistoryAdmin):
    list_display = ["plan", "cadence", "period_start", "period_end", "created_at", "closed_at"]
    list_filter = ["cadence"]
    readonly_fields = ["work_item", "created_at"]
