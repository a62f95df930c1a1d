from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import TimeStampedModel


class CalendarDay(TimeStampedModel):
    """A day that breaks the weekly rhythm: a public holiday, or a make-up working day (调休上班).

    Admins enter the next year's schedule here when the State Council publishes it; rows override
    the holiday package, which knows China's official schedule only up to 2026.
    """

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("public holiday (day off)")
        WORKING_DAY = "working_day", _("make-up working day")

    class Source(models.TextChoices):
        ADMIN = "admin", _("entered by an administrator")
        IMPORTED = "imported", _("imported")

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

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"
