"""Process mapping (template 1): the current-state analysis of a project's processes, their as-is steps, and
the bottlenecks found in them."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import (
    BottleneckKind,
    Level,
    SuggestionState,
)
from .base import TimeStampedModel
from .projects import ImprovementProject, Problem
from .standards import bilingual


class CurrentStateAnalysis(TimeStampedModel):
    """Template 1: the current state of one process (owner, as-is steps with times, pain points, risk)."""

    project = models.ForeignKey(
        ImprovementProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="analyses"
    )
    process = models.ForeignKey(
        "processes.Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="analyses"
    )
    owner = models.CharField(_("owner"), max_length=200, help_text=_("e.g. Sales, Ms Wang"))
    pain_points_en = models.TextField(_("main pain points (English)"), blank=True)
    pain_points_zh = models.TextField(_("main pain points (Chinese)"), blank=True)
    risk = models.CharField(_("risk level"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("current-state analysis")
        verbose_name_plural = _("current-state analyses")
        ordering = ["project", "process"]
        constraints = [models.UniqueConstraint(fields=["project", "process"], name="analysis_per_process")]

    def __str__(self):
        return str(self.process)

    @property
    def pain_points(self):
        return bilingual(self, "pain_points")


class AsIsStep(models.Model):
    """A step of the current (as-is) flow: who does it and how long it takes today."""

    analysis = models.ForeignKey(
        CurrentStateAnalysis, verbose_name=_("analysis"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveIntegerField(_("position"))
    name_en = models.CharField(_("step (English)"), max_length=200)
    name_zh = models.CharField(_("step (Chinese)"), max_length=200, blank=True)
    department = models.ForeignKey(
        "processes.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("responsible role"), max_length=100, blank=True)
    hours = models.DecimalField(
        _("time taken (h)"), max_digits=8, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    time_limit_known = models.BooleanField(_("has a time limit"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("as-is step")
        verbose_name_plural = _("as-is steps")
        ordering = ["analysis", "position"]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return bilingual(self, "name")


class Bottleneck(TimeStampedModel):
    """A row of the bottleneck analysis table, entered by a person or suggested from the data."""

    project = models.ForeignKey(
        ImprovementProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="bottlenecks"
    )
    process = models.ForeignKey(
        "processes.Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("type"), max_length=20, choices=BottleneckKind.choices)
    step = models.CharField(_("step concerned"), max_length=200)
    evidence = models.TextField(_("evidence"))
    proposed_fix = models.TextField(_("proposed fix"), blank=True)
    problems = models.ManyToManyField(Problem, verbose_name=_("problems"), blank=True, related_name="bottlenecks")
    state = models.CharField(
        _("state"), max_length=10, choices=SuggestionState.choices, default=SuggestionState.ACCEPTED
    )
    suggestion_key = models.CharField(_("suggestion key"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bottleneck")
        verbose_name_plural = _("bottleneck analysis table")
        ordering = ["project", "process", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "suggestion_key"],
                condition=~models.Q(suggestion_key=""),
                name="bottleneck_suggestion_once",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.step}"
