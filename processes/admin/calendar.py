"""Admin pages of the business calendar: the working week, and each year's holidays and make-up working days.

Saving or deleting a row here takes effect at once in this process and within
``calendar.STAMP_TTL_SECONDS`` in every other one (see ``processes.selectors.calendar``).
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from ..models import BusinessCalendar, CalendarDay
from ..selectors import calendar


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = {day.year for day in CalendarDay.objects.dates("date", "year")}
        years.add(timezone.localdate().year)
        unknown = set(calendar.unknown_years(years))
        return [
            (str(year), _("%(year)s (official schedule unknown)") % {"year": year} if year in unknown else str(year))
            for year in sorted(years, reverse=True)
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(SimpleHistoryAdmin):
    list_display = ["name", "time_zone", "morning_start", "morning_end", "afternoon_start", "afternoon_end"]
    fieldsets = (
        (None, {"fields": ("name", "time_zone")}),
        (_("Working hours"), {"fields": (("morning_start", "morning_end"), ("afternoon_start", "afternoon_end"))}),
        (
            _("Working weekdays"),
            {
                "fields": (("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),),
                "description": _(
                    "Public holidays and make-up working days come on top of these (calendar days, and China's "
                    "official schedule for the years the holiday package knows)."
                ),
            },
        ),
    )

    def has_add_permission(self, request):
        # One row only (the database enforces it too); without one the defaults apply.
        return super().has_add_permission(request) and not BusinessCalendar.objects.exists()


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    """IT support enters each new year's public holidays and make-up working days here."""

    list_display = ["date", "weekday", "kind", "name_en", "name_zh", "source"]
    list_filter = [YearFilter, "kind", "source"]
    search_fields = ["name_en", "name_zh"]
    readonly_fields = ["source"]
    ordering = ["-date"]

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "D") if obj.date else ""

    def save_model(self, request, obj, form, change):
        # A day changed by hand is the administrator's: importholidays never overwrites it again.
        obj.source = CalendarDay.Source.ADMIN
        super().save_model(request, obj, form, change)

    def changelist_view(self, request, extra_context=None):
        today = timezone.localdate()
        years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
        missing = sorted(set(calendar.unknown_years(years)) | set(calendar.calendar_warnings()))
        if missing:
            messages.warning(
                request,
                ngettext(
                    "China's official holidays for %(years)s are not in the business calendar: deadlines in that "
                    "year count only the weekly days off. Add its public holidays and make-up working days.",
                    "China's official holidays for %(years)s are not in the business calendar: deadlines in those "
                    "years count only the weekly days off. Add their public holidays and make-up working days.",
                    len(missing),
                )
                % {"years": ", ".join(map(str, missing))},
            )
        return super().changelist_view(request, extra_context)
