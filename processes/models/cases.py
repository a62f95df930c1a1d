"""The process case library: lessons captured from reviews, pilots and projects (phase 6)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import CaseSource
from .base import TimeStampedModel
from .standards import bilingual


class CaseTag(models.Model):
    name = models.CharField(_("tag"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Case(TimeStampedModel):
    """A lesson worth keeping: what happened, what was learned, for which process."""

    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    lesson_en = models.TextField(_("lesson (English)"), blank=True)
    lesson_zh = models.TextField(_("lesson (Chinese)"), blank=True)
    department = models.ForeignKey(
        "processes.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="cases"
    )
    process = models.ForeignKey(
        "processes.Process",
        verbose_name=_("process"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    project = models.ForeignKey(
        "processes.ImprovementProject",
        verbose_name=_("improvement project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    source = models.CharField(_("learned in"), max_length=20, choices=CaseSource.choices, default=CaseSource.OTHER)
    source_url = models.CharField(_("link"), max_length=300, blank=True)
    tags = models.ManyToManyField(CaseTag, verbose_name=_("tags"), blank=True, related_name="cases")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("captured by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("case library")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(title_en="") | ~models.Q(title_zh=""), name="case_has_a_title"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return bilingual(self, "title")

    @property
    def lesson(self):
        return bilingual(self, "lesson")
