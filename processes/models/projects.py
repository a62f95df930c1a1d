from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import (
    Level,
    NoteKind,
    ProblemSource,
    ProjectPhase,
    ReviewCadence,
    TeamRole,
)
from .base import BilingualNameMixin, TimeStampedModel
from .standards import bilingual

PHASE_DAYS_MAX = 250


class ImprovementProject(BilingualNameMixin, TimeStampedModel):
    """An improvement project: the unit a manager runs through the six phases, gate by gate."""

    strategic_goal_en = models.TextField(_("strategic goal (English)"), blank=True)
    strategic_goal_zh = models.TextField(_("strategic goal (Chinese)"), blank=True)
    department = models.ForeignKey(
        "processes.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="projects"
    )
    processes = models.ManyToManyField("processes.Process", verbose_name=_("processes"), related_name="projects")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_projects",
    )
    phase = models.CharField(_("phase"), max_length=20, choices=ProjectPhase.choices, default=ProjectPhase.PREPARATION)
    phase_days = models.PositiveSmallIntegerField(
        _("working days per phase"),
        default=10,
        # a year of working days at most: more is a typing mistake (and 10^12 overflowed the deadline's date)
        validators=[MinValueValidator(1), MaxValueValidator(PHASE_DAYS_MAX)],
        help_text=_("The deadline of each phase's work, in working days."),
    )
    review_cadence = models.CharField(
        _("periodic reviews"),
        max_length=10,
        choices=ReviewCadence.choices,
        default=ReviewCadence.MONTHLY,
        help_text=_("In continuous optimization, a review of each past month or quarter lands in the lead's inbox."),
    )
    flow_process = models.OneToOneField(
        "viewflow.Process",
        verbose_name=_("flow process"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("improvement project")
        verbose_name_plural = _("improvement projects")
        ordering = ["-created_at"]

    @property
    def strategic_goal(self):
        return bilingual(self, "strategic_goal")


class TeamMember(models.Model):
    """A person on a project team and what they bring (business backbone, process specialist, IT)."""

    project = models.ForeignKey(
        ImprovementProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="team"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role in the project"), max_length=30, choices=TeamRole.choices)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["project", "user", "role"], name="team_member_unique")]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class Goal(models.Model):
    """An optimization goal with a number: indicator, baseline, target (relative or a bound) and a date."""

    project = models.ForeignKey(
        ImprovementProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="goals"
    )
    indicator = models.ForeignKey(
        "metrics.Indicator", verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    process = models.ForeignKey(
        "processes.Process",
        verbose_name=_("process"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    description_en = models.CharField(_("goal (English)"), max_length=300, blank=True)
    description_zh = models.CharField(_("goal (Chinese)"), max_length=300, blank=True)
    baseline_value = models.DecimalField(_("baseline value"), max_digits=14, decimal_places=4, null=True, blank=True)
    target_kind = models.CharField(
        _("target kind"),
        max_length=10,
        choices=[("relative", _("relative change (%)")), ("absolute", _("absolute bound"))],
    )
    target_value = models.DecimalField(_("target"), max_digits=14, decimal_places=4)
    due_date = models.DateField(_("by"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["project", "id"]

    def __str__(self):
        return self.description or str(self.indicator)

    @property
    def description(self):
        return bilingual(self, "description")


class ProjectNote(TimeStampedModel):
    """An employee interview or a piece of customer feedback collected as baseline."""

    project = models.ForeignKey(
        ImprovementProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="notes"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NoteKind.choices)
    date = models.DateField(_("date"))
    subject = models.CharField(_("who or what"), max_length=200)
    text = models.TextField(_("notes"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("interview or feedback")
        verbose_name_plural = _("interviews and feedback")
        ordering = ["-date", "-id"]

    def __str__(self):
        return self.subject


class Problem(TimeStampedModel):
    """An item of the current-state problem list."""

    project = models.ForeignKey(
        ImprovementProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="problems"
    )
    process = models.ForeignKey(
        "processes.Process",
        verbose_name=_("process"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=20, choices=ProblemSource.choices)
    description = models.TextField(_("problem"))
    severity = models.CharField(_("severity"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problem list")
        ordering = ["project", "id"]

    def __str__(self):
        return self.description[:80]
