import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import Comparator, EscalationTarget, Role, TargetKind, TimeUnit, VersionStatus
from .base import BilingualNameMixin, TimeStampedModel, is_chinese


def bilingual(obj, field: str) -> str:
    """The text of ``field`` in the active language, falling back to the other one."""
    en, zh = getattr(obj, f"{field}_en"), getattr(obj, f"{field}_zh")
    if is_chinese():
        return zh or en
    return en or zh


class Process(BilingualNameMixin, TimeStampedModel):
    """A business process in the catalogue (e.g. order processing), owned by one department."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    department = models.ForeignKey(
        "processes.Department", verbose_name=_("owner department"), on_delete=models.PROTECT, related_name="processes"
    )
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("process")
        verbose_name_plural = _("processes")
        ordering = ["code"]

    @property
    def description(self):
        return bilingual(self, "description")


class StandardVersion(TimeStampedModel):
    """One version of a process standard (template 2). Only drafts change; a published one is frozen."""

    process = models.ForeignKey(Process, verbose_name=_("process"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True
    )
    based_on = models.ForeignKey(
        "self", verbose_name=_("based on"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change_note = models.TextField(_("what changed and why"), blank=True)
    goal_en = models.TextField(_("goal (English)"), blank=True)
    goal_zh = models.TextField(_("goal (Chinese)"), blank=True)
    scope_en = models.TextField(_("scope: included (English)"), blank=True)
    scope_zh = models.TextField(_("scope: included (Chinese)"), blank=True)
    out_of_scope_en = models.TextField(_("scope: excluded (English)"), blank=True)
    out_of_scope_zh = models.TextField(_("scope: excluded (Chinese)"), blank=True)
    inputs_en = models.TextField(_("process inputs (English)"), blank=True)
    inputs_zh = models.TextField(_("process inputs (Chinese)"), blank=True)
    outputs_en = models.TextField(_("process outputs (English)"), blank=True)
    outputs_zh = models.TextField(_("process outputs (Chinese)"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    review_note = models.TextField(_("reviewer's note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")
        ordering = ["process", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["process", "number"], name="standard_version_number_unique"),
            # Only one version of a process is current (published) at a time; the database holds the line.
            models.UniqueConstraint(
                fields=["process"],
                condition=models.Q(status=VersionStatus.PUBLISHED),
                name="one_published_version_per_process",
            ),
            # One version in the works (draft, submitted or approved) at a time, so edits never fork.
            models.UniqueConstraint(
                fields=["process"],
                condition=models.Q(status__in=[VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.APPROVED]),
                name="one_open_version_per_process",
            ),
        ]

    def __str__(self):
        return f"{self.process.code} v{self.number}"

    @property
    def department_id(self):
        return self.process.department_id

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def goal(self):
        return bilingual(self, "goal")

    @property
    def scope(self):
        return bilingual(self, "scope")

    @property
    def out_of_scope(self):
        return bilingual(self, "out_of_scope")

    @property
    def inputs(self):
        return bilingual(self, "inputs")

    @property
    def outputs(self):
        return bilingual(self, "outputs")


class Step(models.Model):
    """One step of a standard version: who does it, how, and within what time limit."""

    version = models.ForeignKey(
        StandardVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="steps"
    )
    # The same step keeps its key across versions, so two versions compare step by step.
    key = models.UUIDField(_("step key"), default=uuid.uuid4, editable=False)
    position = models.PositiveIntegerField(_("position"))
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    department = models.ForeignKey(
        "processes.Department", verbose_name=_("responsible department"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("responsible role"), max_length=30, choices=Role.choices, default=Role.OPS_STAFF)
    standard_en = models.TextField(_("operating standard (English)"), blank=True)
    standard_zh = models.TextField(_("operating standard (Chinese)"), blank=True)
    time_limit = models.DecimalField(
        _("time limit"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        # 0 would make every task of the step overdue the moment it opens; "no limit" is an empty limit
        validators=[
            MinValueValidator(
                Decimal("0.01"), message=_("A time limit must be more than 0; leave it empty for no limit.")
            )
        ],
        help_text=_("Leave empty for a step without a time limit."),
    )
    time_unit = models.CharField(_("time unit"), max_length=20, choices=TimeUnit.choices, default=TimeUnit.HOURS)
    inputs_en = models.TextField(_("inputs (English)"), blank=True)
    inputs_zh = models.TextField(_("inputs (Chinese)"), blank=True)
    outputs_en = models.TextField(_("outputs (English)"), blank=True)
    outputs_zh = models.TextField(_("outputs (Chinese)"), blank=True)
    checks_en = models.TextField(_("quality checks (English)"), blank=True, help_text=_("One check per line."))
    checks_zh = models.TextField(_("quality checks (Chinese)"), blank=True, help_text=_("One check per line."))
    automatic = models.BooleanField(_("automatic"), default=False, help_text=_("Done by a system, not a person."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="step_position_unique"),
            models.UniqueConstraint(fields=["version", "key"], name="step_key_unique"),
            models.CheckConstraint(
                condition=models.Q(time_limit__gt=0) | models.Q(time_limit__isnull=True),
                name="step_time_limit_positive",
            ),
        ]

    def __str__(self):
        return f"{self.position}. {self.name}"

    @property
    def name(self):
        return bilingual(self, "name")

    @property
    def standard(self):
        return bilingual(self, "standard")

    @property
    def inputs(self):
        return bilingual(self, "inputs")

    @property
    def outputs(self):
        return bilingual(self, "outputs")

    @property
    def checks(self) -> list[str]:
        return [line.strip() for line in bilingual(self, "checks").splitlines() if line.strip()]


class StandardTarget(models.Model):
    """A measurable target of a version: a goal target ("reviewed within 24 h") or a quality standard."""

    version = models.ForeignKey(
        StandardVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="targets"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TargetKind.choices, default=TargetKind.GOAL)
    position = models.PositiveIntegerField(_("position"), default=0)
    indicator_en = models.CharField(_("indicator (English)"), max_length=200)
    indicator_zh = models.CharField(_("indicator (Chinese)"), max_length=200, blank=True)
    comparator = models.CharField(_("comparator"), max_length=2, choices=Comparator.choices, default=Comparator.LTE)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("e.g. h, %, working days"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["version", "kind", "position"]

    def __str__(self):
        return f"{self.indicator} {self.get_comparator_display()} {self.value_display}{self.unit}"

    @property
    def indicator(self):
        return bilingual(self, "indicator")

    @property
    def value_display(self) -> str:
        return f"{self.value.normalize():f}" if self.value is not None else ""


class EscalationLevel(models.Model):
    """One level of a version's escalation policy: who is told, how long after the deadline."""

    version = models.ForeignKey(
        StandardVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="escalation_levels"
    )
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1)])
    target = models.CharField(_("escalate to"), max_length=30, choices=EscalationTarget.choices)
    after_hours = models.DecimalField(
        _("hours after the deadline"),
        max_digits=7,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("escalation level")
        verbose_name_plural = _("escalation levels")
        ordering = ["version", "level"]
        constraints = [models.UniqueConstraint(fields=["version", "level"], name="escalation_level_unique")]

    def __str__(self):
        return f"{self.level}: {self.get_target_display()}"


class ExceptionPlan(models.Model):
    """What to do when something goes wrong ("order information missing: contact the customer within 1 h")."""

    version = models.ForeignKey(
        StandardVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="exception_plans"
    )
    key = models.UUIDField(_("plan key"), default=uuid.uuid4, editable=False)
    position = models.PositiveIntegerField(_("position"))
    trigger_en = models.CharField(_("trigger (English)"), max_length=300)
    trigger_zh = models.CharField(_("trigger (Chinese)"), max_length=300, blank=True)
    action_en = models.TextField(_("required action (English)"), blank=True)
    action_zh = models.TextField(_("required action (Chinese)"), blank=True)
    department = models.ForeignKey(
        "processes.Department",
        verbose_name=_("responsible department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the department of the step where it happened."),
    )
    response_limit = models.DecimalField(
        _("response time limit"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)]
    )
    response_unit = models.CharField(_("time unit"), max_length=20, choices=TimeUnit.choices, default=TimeUnit.HOURS)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exception plan")
        verbose_name_plural = _("exception plans")
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="exception_plan_position_unique")]

    def __str__(self):
        return self.trigger

    @property
    def trigger(self):
        return bilingual(self, "trigger")

    @property
    def action(self):
        return bilingual(self, "action")
