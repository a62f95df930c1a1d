"""Phase 5, the rollout: a plan of milestones, department switch-overs (coverage), tiered training
with attendance, and the monitoring cadence (daily while young, then weekly reviews)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from processes.models.base import BilingualNameMixin, TimeStampedModel
from processes.models.standards import bilingual

from ..choices import Cadence, MilestoneStatus, PlanStatus, Tier


class RolloutPlan(BilingualNameMixin, TimeStampedModel):
    """Rolling a standard version out to every department that runs the process."""

    project = models.ForeignKey(
        "processes.ImprovementProject",
        verbose_name=_("improvement project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rollouts",
    )
    version = models.ForeignKey(
        "processes.StandardVersion",
        verbose_name=_("version rolled out"),
        on_delete=models.PROTECT,
        related_name="rollouts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_rollouts"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    daily_until = models.DateField(
        _("daily tracking until"),
        help_text=_("While the rollout is young its figures are reviewed every day; after this date every week."),
    )
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rollout plan")
        verbose_name_plural = _("rollout plans")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(daily_until__gte=models.F("starts_on")), name="rollout_daily_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="rollout_dates_in_order",
            ),
        ]

    @property
    def process(self):
        return self.version.process


class Milestone(models.Model):
    """A line of the plan's timetable ("HR organises training", "IT updates the process nodes").
    A milestone naming a department switches that department over to the new version when done."""

    plan = models.ForeignKey(RolloutPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(_("order"))
    title_en = models.CharField(_("milestone (English)"), max_length=300)
    title_zh = models.CharField(_("milestone (Chinese)"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    switches_department = models.ForeignKey(
        "processes.Department",
        verbose_name=_("switches over"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Done means this department now runs the new version."),
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    work_item = models.OneToOneField(
        "processes.WorkItem",
        verbose_name=_("work item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="milestone",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="milestone_position_unique")]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return bilingual(self, "title")


class DepartmentSwitch(models.Model):
    """Coverage: a department that runs the rolled-out version from a date on."""

    plan = models.ForeignKey(RolloutPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="switches")
    department = models.ForeignKey(
        "processes.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    switched_on = models.DateField(_("switched over on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    milestone = models.ForeignKey(
        Milestone, verbose_name=_("milestone"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department switch-over")
        verbose_name_plural = _("department switch-overs")
        ordering = ["plan", "switched_on"]
        constraints = [models.UniqueConstraint(fields=["plan", "department"], name="switch_once_per_department")]

    def __str__(self):
        return f"{self.department} · {self.switched_on}"


class TrainingSession(models.Model):
    """A training session for one tier (management, execution staff, support staff)."""

    plan = models.ForeignKey(RolloutPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="sessions")
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    material = models.TextField(
        _("material"), blank=True, help_text=_("Beyond the SOP document of the version, which every session links.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["plan", "starts_at"]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return bilingual(self, "title")


class Attendance(models.Model):
    """One invited person: did they attend, and did they complete the training (passed its check)?"""

    session = models.ForeignKey(
        TrainingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendance"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(_("invited"))
    attended = models.BooleanField(_("attended"), default=False)
    completed = models.BooleanField(_("completed"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once_per_person"),
            models.CheckConstraint(
                condition=models.Q(completed=False) | models.Q(attended=True), name="completed_needs_attended"
            ),
        ]

    def __str__(self):
        return f"{self.session} · {self.user}"


class MonitoringReview(models.Model):
    """A review of the rollout's figures for one period, created by Celery beat as a task for the owner."""

    plan = models.ForeignKey(RolloutPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="reviews")
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    work_item = models.OneToOneField(
        "processes.WorkItem",
        verbose_name=_("work item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monitoring_review",
    )
    conclusions = models.TextField(_("conclusions"), blank=True)
    created_at = models.DateTimeField(_("created"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("monitoring review")
        verbose_name_plural = _("monitoring reviews")
        ordering = ["plan", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "cadence", "period_start"], name="review_once_per_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="review_period"),
        ]

    def __str__(self):
        return f"{self.get_cadence_display()} {self.period_start}–{self.period_end}"
