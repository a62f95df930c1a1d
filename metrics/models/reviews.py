"""Periodic reviews of improvement projects and the actions they decide."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from processes.choices import ReviewCadence

from ..choices import (
    ActionKind,
    ActionStatus,
)


class Review(models.Model):
    """A periodic review of a project in continuous optimization (phase 6): one per month or quarter,
    created by Celery beat as work for the project's lead, closed with its conclusions."""

    project = models.ForeignKey(
        "processes.ImprovementProject", verbose_name=_("project"), on_delete=models.CASCADE, related_name="reviews"
    )
    cadence = models.CharField(_("cadence"), max_length=10, choices=ReviewCadence.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    work_item = models.OneToOneField(
        "processes.WorkItem",
        verbose_name=_("work item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="periodic_review",
    )
    conclusions = models.TextField(_("conclusions"), blank=True)
    created_at = models.DateTimeField(_("created"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("periodic review")
        verbose_name_plural = _("periodic reviews")
        ordering = ["-period_start", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "period_start"], name="periodic_review_once_per_period"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="periodic_review_period"
            ),
        ]

    def __str__(self):
        return f"{self.project} · {self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"


class ReviewAction(models.Model):
    """What a review decided: adjust a standard (opens its next draft) or a tracked item (work for a
    department, due in working days, escalated like any other work)."""

    review = models.ForeignKey(Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("action"), max_length=20, choices=ActionKind.choices)
    description = models.TextField(_("what to do"))
    process = models.ForeignKey(
        "processes.Process",
        verbose_name=_("process"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    draft_version = models.ForeignKey(
        "processes.StandardVersion",
        verbose_name=_("draft opened"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible_department = models.ForeignKey(
        "processes.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_days = models.PositiveSmallIntegerField(
        _("due (working days)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    work_item = models.OneToOneField(
        "processes.WorkItem",
        verbose_name=_("work item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_action",
    )
    status = models.CharField(_("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review action")
        verbose_name_plural = _("review actions")
        ordering = ["review", "pk"]

    def __str__(self):
        return self.description[:80]
