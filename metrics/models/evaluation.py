"""Effect evaluations (template 4): before against after per indicator, with a verdict per row."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from processes.models.base import TimeStampedModel

from ..choices import (
    TargetKind,
    Verdict,
)
from .indicators import Indicator


class Evaluation(TimeStampedModel):
    """An effect evaluation (template 4): a baseline period against an evaluation period for a process."""

    title = models.CharField(_("title"), max_length=200)
    process = models.ForeignKey(
        "processes.Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="evaluations"
    )
    baseline_start = models.DateField(_("baseline from"))
    baseline_end = models.DateField(_("baseline to"))
    evaluation_start = models.DateField(_("evaluation from"))
    evaluation_end = models.DateField(_("evaluation to"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("effect evaluation")
        verbose_name_plural = _("effect evaluations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(baseline_end__gte=models.F("baseline_start")), name="baseline_order"
            ),
            models.CheckConstraint(
                condition=models.Q(evaluation_end__gte=models.F("evaluation_start")), name="evaluation_order"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def department_id(self):
        return self.process.department_id


class EvaluationRow(models.Model):
    """One indicator of an evaluation: before, after, change rate, target and verdict (plus any override)."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="rows"
    )
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(_("position"), default=0)
    target_kind = models.CharField(_("target kind"), max_length=10, choices=TargetKind.choices, blank=True)
    target_value = models.DecimalField(
        _("target"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("A relative change in % (e.g. -20) or an absolute bound in the indicator's unit (e.g. 1)."),
    )
    before = models.DecimalField(_("before"), max_digits=14, decimal_places=4, null=True, blank=True)
    after = models.DecimalField(_("after"), max_digits=14, decimal_places=4, null=True, blank=True)
    n_before = models.PositiveIntegerField(_("observations before"), null=True, blank=True)
    n_after = models.PositiveIntegerField(_("observations after"), null=True, blank=True)
    change_rate = models.DecimalField(_("change"), max_digits=12, decimal_places=6, null=True, blank=True)
    p_value = models.FloatField(_("p-value"), null=True, blank=True)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices, blank=True)
    verdict_reason = models.CharField(_("why"), max_length=300, blank=True)
    override = models.CharField(_("manager's verdict"), max_length=20, choices=Verdict.choices, blank=True)
    override_reason = models.TextField(_("reason for the manager's verdict"), blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    overridden_at = models.DateTimeField(_("overridden"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evaluation row")
        verbose_name_plural = _("evaluation rows")
        ordering = ["evaluation", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "indicator"], name="evaluation_indicator_unique")]

    def __str__(self):
        return f"{self.evaluation}: {self.indicator}"

    @property
    def final_verdict(self) -> str:
        return self.override or self.verdict
