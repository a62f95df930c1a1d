"""Phase 4, the pilot: a standard version on trial in a scope, its stand-ups, template 3 feedback,
staff surveys and customer interviews."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from processes.choices import TimeUnit
from processes.models.base import BilingualNameMixin, TimeStampedModel
from processes.models.standards import bilingual

from ..choices import Arm, FeedbackStatus, PilotStatus, QuestionKind

RATING = [MinValueValidator(1), MaxValueValidator(5)]


class Pilot(BilingualNameMixin, TimeStampedModel):
    """A standard version tried in a scope (departments, optionally one business line) between two
    dates, for one or two cycles, optionally beside a control scope that keeps the current standard."""

    project = models.ForeignKey(
        "processes.ImprovementProject",
        verbose_name=_("improvement project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pilots",
    )
    version = models.ForeignKey(
        "processes.StandardVersion", verbose_name=_("version on trial"), on_delete=models.PROTECT, related_name="pilots"
    )
    departments = models.ManyToManyField(
        "processes.Department", verbose_name=_("pilot departments"), related_name="pilots"
    )
    control_departments = models.ManyToManyField(
        "processes.Department",
        verbose_name=_("control departments"),
        blank=True,
        related_name="control_pilots",
        help_text=_("Departments that keep the current standard during the pilot, for comparison."),
    )
    business_line = models.CharField(
        _("business line"),
        max_length=100,
        blank=True,
        help_text=_("Empty: every run of the pilot departments. Otherwise only runs of this business line."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    cycles = models.PositiveSmallIntegerField(
        _("cycles"), default=1, validators=[MinValueValidator(1), MaxValueValidator(2)], help_text=_("1 or 2.")
    )
    baseline_start = models.DateField(
        _("baseline from"), null=True, blank=True, help_text=_("Empty: the same number of days before the start.")
    )
    baseline_end = models.DateField(_("baseline to"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PilotStatus.choices, default=PilotStatus.PLANNED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_pilots"
    )
    conclusion = models.TextField(_("conclusion"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="pilot_dates_in_order"),
            models.CheckConstraint(condition=models.Q(cycles__gte=1, cycles__lte=2), name="pilot_one_or_two_cycles"),
        ]

    @property
    def process(self):
        return self.version.process

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("pilots:detail", args=[self.pk])


class PilotRun(models.Model):
    """A run that belongs to a pilot: started in its scope (``pilot``) or control scope during its dates."""

    pilot = models.ForeignKey(Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="links")
    run = models.OneToOneField(
        "processes.Run", verbose_name=_("run"), on_delete=models.CASCADE, related_name="pilot_link"
    )
    arm = models.CharField(_("group"), max_length=10, choices=Arm.choices)

    class Meta:
        verbose_name = _("pilot run")
        verbose_name_plural = _("pilot runs")
        indexes = [models.Index(fields=["pilot", "arm"], name="pilot_run_arm_idx")]

    def __str__(self):
        return f"{self.pilot} · {self.run} ({self.get_arm_display()})"


class StandUp(models.Model):
    """The pilot's daily stand-up: who came, the problems raised and the decisions taken. A decision
    that changes the standard opens a new draft version, linked here."""

    pilot = models.ForeignKey(Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="standups")
    held_on = models.DateField(_("date"))
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("attendees"), related_name="+")
    guests = models.CharField(_("other attendees"), max_length=300, blank=True)
    problems = models.TextField(_("problems"))
    decisions = models.TextField(_("decisions"), blank=True)
    changed_step_key = models.CharField(_("step changed"), max_length=40, blank=True)
    new_time_limit = models.DecimalField(_("new time limit"), max_digits=8, decimal_places=2, null=True, blank=True)
    new_time_unit = models.CharField(_("unit"), max_length=20, choices=TimeUnit.choices, blank=True)
    draft_version = models.ForeignKey(
        "processes.StandardVersion",
        verbose_name=_("draft opened"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="standups",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(m2m_fields=[attendees])

    class Meta:
        verbose_name = _("stand-up")
        verbose_name_plural = _("stand-ups")
        ordering = ["-held_on"]
        constraints = [models.UniqueConstraint(fields=["pilot", "held_on"], name="standup_once_a_day")]

    def __str__(self):
        return f"{self.pilot} · {self.held_on}"


class FeedbackItem(models.Model):
    """A row of template 3: pilot department, problem, suggested improvement, responsible department,
    due in working days, status. Accepting it opens work in the responsible department's inbox."""

    pilot = models.ForeignKey(Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="feedback")
    number = models.PositiveIntegerField(_("no."))
    department = models.ForeignKey(
        "processes.Department", verbose_name=_("pilot department"), on_delete=models.PROTECT, related_name="+"
    )
    problem = models.TextField(_("problem"))
    suggestion = models.TextField(_("suggested improvement"), blank=True)
    responsible_department = models.ForeignKey(
        "processes.Department", verbose_name=_("responsible department"), on_delete=models.PROTECT, related_name="+"
    )
    due_days = models.PositiveSmallIntegerField(
        _("due (working days)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    status = models.CharField(_("status"), max_length=20, choices=FeedbackStatus.choices, default=FeedbackStatus.RAISED)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("raised by"), on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("reason"), blank=True)
    work_item = models.OneToOneField(
        "processes.WorkItem",
        verbose_name=_("work item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_item",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["pilot", "number"]
        constraints = [models.UniqueConstraint(fields=["pilot", "number"], name="feedback_number_unique")]

    def __str__(self):
        return f"{self.number}. {self.problem[:60]}"


class Survey(models.Model):
    """A staff questionnaire for the people in the pilot's scope."""

    pilot = models.ForeignKey(Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="surveys")
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    is_open = models.BooleanField(_("open for answers"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return bilingual(self, "title")


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("order"))
    text_en = models.CharField(_("question (English)"), max_length=300)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300, blank=True)
    kind = models.CharField(_("answer"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.RATING)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "position"]
        constraints = [models.UniqueConstraint(fields=["survey", "position"], name="survey_question_position_unique")]

    def __str__(self):
        return self.text

    @property
    def text(self):
        return bilingual(self, "text")


class SurveyResponse(models.Model):
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("respondent"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "processes.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"))

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [models.UniqueConstraint(fields=["survey", "respondent"], name="survey_answered_once")]

    def __str__(self):
        return f"{self.survey} · {self.respondent}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(
        SurveyResponse, verbose_name=_("response"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        SurveyQuestion, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True, validators=RATING)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_unique"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_to_5",
            ),
        ]

    def __str__(self):
        return f"{self.question}: {self.rating if self.rating is not None else self.comment[:40]}"


class CustomerInterview(models.Model):
    """A customer interview during the pilot, with the customer's satisfaction (1-5)."""

    pilot = models.ForeignKey(Pilot, verbose_name=_("pilot"), on_delete=models.CASCADE, related_name="interviews")
    customer = models.CharField(_("customer"), max_length=200)
    held_on = models.DateField(_("date"))
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("interviewer"), on_delete=models.PROTECT, related_name="+"
    )
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), validators=RATING)
    notes = models.TextField(_("what the customer said"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer interview")
        verbose_name_plural = _("customer interviews")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5), name="interview_satisfaction_1_to_5"
            )
        ]

    def __str__(self):
        return f"{self.customer} · {self.held_on}"
