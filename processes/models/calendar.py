import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import TimeStampedModel

WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def default_time_zone() -> str:
    """settings.TIME_ZONE (Asia/Shanghai unless configured), read when a calendar row is created."""
    return settings.TIME_ZONE


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not a known time zone (e.g. Asia/Shanghai)."), code="time_zone", params={"value": value}
        ) from None


class BusinessCalendar(TimeStampedModel):
    """The organisation's working week: time zone, working hours and working weekdays.

    A single row (the database refuses a second one); without a row the defaults apply: Asia/Shanghai,
    09:00-12:00 and 13:00-18:00, Monday to Friday. Public holidays and make-up working days come on top
    of it (``CalendarDay`` and the ``chinese_calendar`` package; see ``processes.selectors.calendar``).
    """

    # Always True and unique: the constraint that keeps this table to one row.
    singleton = models.BooleanField(default=True, editable=False)
    name = models.CharField(_("name"), max_length=100, default="Business calendar")
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("An IANA time zone name, e.g. Asia/Shanghai. Working hours are clock times in this zone."),
    )
    morning_start = models.TimeField(_("morning starts"), default=dt.time(9))
    morning_end = models.TimeField(_("morning ends"), default=dt.time(12))
    afternoon_start = models.TimeField(_("afternoon starts"), default=dt.time(13))
    afternoon_end = models.TimeField(_("afternoon ends"), default=dt.time(18))
    monday = models.BooleanField(_("Monday"), default=True)
    tuesday = models.BooleanField(_("Tuesday"), default=True)
    wednesday = models.BooleanField(_("Wednesday"), default=True)
    thursday = models.BooleanField(_("Thursday"), default=True)
    friday = models.BooleanField(_("Friday"), default=True)
    saturday = models.BooleanField(_("Saturday"), default=False)
    sunday = models.BooleanField(_("Sunday"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendar")
        constraints = [
            models.UniqueConstraint(
                fields=["singleton"],
                name="business_calendar_single_row",
                violation_error_message=_("There is only one business calendar: change the existing one."),
            ),
            models.CheckConstraint(condition=models.Q(singleton=True), name="business_calendar_singleton_true"),
            models.CheckConstraint(
                condition=models.Q(morning_start__lt=models.F("morning_end"))
                & models.Q(morning_end__lte=models.F("afternoon_start"))
                & models.Q(afternoon_start__lt=models.F("afternoon_end")),
                name="business_calendar_hours_in_order",
                violation_error_message=_(
                    "Working hours must run in order: the morning starts before it ends, the afternoon starts no "
                    "earlier than the morning ends, and ends after it starts."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(monday=True)
                | models.Q(tuesday=True)
                | models.Q(wednesday=True)
                | models.Q(thursday=True)
                | models.Q(friday=True)
                | models.Q(saturday=True)
                | models.Q(sunday=True),
                name="business_calendar_has_working_weekday",
                violation_error_message=_("Choose at least one working weekday."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def periods(self) -> tuple[tuple[dt.time, dt.time], ...]:
        """The working periods of a working day, in order."""
        return ((self.morning_start, self.morning_end), (self.afternoon_start, self.afternoon_end))

    @property
    def working_weekdays(self) -> frozenset[int]:
        """Working weekdays as ``date.weekday()`` numbers (Monday = 0)."""
        return frozenset(number for number, field in enumerate(WEEKDAY_FIELDS) if getattr(self, field))


class CalendarDay(TimeStampedModel):
    """A day that breaks the weekly rhythm: a public holiday, or a make-up working day (调休上班).

    Rows override the ``chinese_calendar`` package, which knows China's official schedule only up to
    2026: admins enter (or load from a file) each new year's schedule when the State Council publishes
    it in November, and may add the organisation's own days off.
    """

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("public holiday (day off)")
        WORKING_DAY = "working_day", _("make-up working day")

    class Source(models.TextChoices):
        ADMIN = "admin", _("entered by an administrator")
        IMPORTED = "imported", _("imported from the chinese_calendar package")
        FILE = "file", _("imported from a file")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.ADMIN)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["day_off", "working_day"]), name="calendar_day_kind"),
            models.CheckConstraint(
                condition=models.Q(source__in=["admin", "imported", "file"]), name="calendar_day_source"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"
