"""Notifications and their deliveries, read-only, for IT support: what reached whom through which channel,
and why a delivery failed."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Notification, NotificationDelivery


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NotificationDeliveryInline(ReadOnly, admin.TabularInline):
    model = NotificationDelivery
    fields = ["channel", "status", "attempts", "attempted_at", "next_attempt_at", "sent_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Notification)
class NotificationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["subject_en", "user", "kind", "created_at", "read_at", "delivery_states"]
    list_filter = ["kind", "deliveries__status", "deliveries__channel", "created_at"]
    search_fields = ["subject_en", "subject_zh", "key", "user__username", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    fields = ["user", "kind", "key", "subject_en", "subject_zh", "work_item", "escalation", "created_at", "read_at"]
    readonly_fields = fields
    inlines = [NotificationDeliveryInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("deliveries")

    @admin.display(description=_("deliveries"))
    def delivery_states(self, obj):
        return ", ".join(f"{d.channel}: {d.get_status_display()}" for d in obj.deliveries.all())


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["notification", "channel", "status", "attempts", "attempted_at", "sent_at", "short_error"]
    list_filter = ["status", "channel", "attempted_at"]
    search_fields = ["notification__subject_en", "notification__user__username", "last_error"]
    list_select_related = ["notification"]
    fields = [
        "notification",
        "channel",
        "status",
        "attempts",
        "attempted_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    readonly_fields = fields

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return obj.last_error[:120]
