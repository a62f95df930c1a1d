from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from processes.choices import ReviewCadence
from processes.models.base import BilingualNameMixin, TimeStampedModel
from processes.models.standards import bilingual

from .choices import (
    ActionKind,
    ActionStatus,
    Computation,
    Direction,
    MeasurementSource,
    Source,
    TargetKind,
    Verdict,
)


class Indicator(BilingualNameMixin, TimeStampedModel):
    """A measure of a process with one written definition, so every report counts it the same way."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    unit = models.CharField(_("unit"), max_length=20, help_text=_("e.g. h, %, orders"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.LOWER)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MEASURED)
    computation = models.CharField(
        _("computation"),
        max_length=30,
        choices=Computation.choices,
        blank=True,
        help_text=_("For computed indicators."),
    )
    definition_en = models.TextField(_("definition (English)"), blank=True)
    definition_zh = models.TextField(_("definition (Chinese)"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=Source.COMPUTED, computation=""), name="computed_indicator_has_computation"
            )
        ]

    @property
    def definition(self):
        return bilingual(self, "definition")

    @property
    def is_rate(self) -> bool:
        return self.unit == "%"


class Measurement(TimeStampedModel):
    """A value of an indicator measured outside OpsFlow for a period (entered, imported or posted)."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="measurements"
    )
    process = models.ForeignKey(
        "processes.Process", verbose_name=_("process"), on_delete=models.PROTECT, related_name="measurements"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    sample_size = models.PositiveIntegerField(
        _("observations"), null=True, blank=True, help_text=_("How many cases the value is computed from.")
    )
    numerator = models.PositiveIntegerField(
        _("cases counted"), null=True, blank=True, help_text=_("For a rate: the cases counted (e.g. complaints).")
    )
    source = models.CharField(_("source"), max_length=10, choices=MeasurementSource.choices)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["-period_start", "indicator"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="measurement_period_order"
            ),
            models.UniqueConstraint(
                # per process (so per department): another department's key is never found from here
                fields=["indicator", "process", "external_id"],
                condition=~models.Q(external_id=""),
                name="measurement_external_id_unique_per_process",
            ),
        ]
        indexes = [models.Index(fields=["indicator", "process", "period_start"])]

    def __str__(self):
        return f"{self.indicator} {self.period_start}–{self.period_end}: {self.value}"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The period ends before it starts.")
        if self.numerator is not None and self.sample_size is not None and self.numerator > self.sample_size:
            errors["numerator"] = _("Cannot count more cases than observations.")
        if errors:
            raise ValidationError(errors)


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
