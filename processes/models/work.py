from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from viewflow.workflow.models import Process as FlowProcess
from viewflow.workflow.models import Task as FlowTask

from opsflow.fastpath.compiled import CompiledSaves

from ..choices import NotificationKind, Role, RunSource, RunStatus, WorkKind, WorkStatus
from ..kinds import kind_choices
from .standards import bilingual

OPEN_STATUSES = (WorkStatus.OPEN, WorkStatus.CLAIMED)


class RunProcess(FlowProcess):
    """viewflow's process row of a run (proxy: the run's facts live on ``Run``)."""

    class Meta:
        proxy = True
        verbose_name = _("run process")
        verbose_name_plural = _("run processes")


class RunTask(CompiledSaves, FlowTask):
    """viewflow's task row of a run (proxy), written with compiled statements: every step completion
    updates one task and creates two (``opsflow.fastpath.compiled.CompiledSaves``)."""

    class Meta:
        proxy = True
        verbose_name = _("run task")
        verbose_name_plural = _("run tasks")


class Run(models.Model):
    """One execution of a published standard version (e.g. one order going through order processing)."""

    version = models.ForeignKey(
        "processes.StandardVersion", verbose_name=_("standard version"), on_delete=models.PROTECT, related_name="runs"
    )
    department = models.ForeignKey(
        "processes.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="runs"
    )
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, help_text=_("e.g. the order number in the order system")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    business_line = models.CharField(
        _("business line"),
        max_length=100,
        blank=True,
        help_text=_("For example a sales channel or a product line; a pilot may be scoped to one."),
    )
    status = models.CharField(_("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.ACTIVE)
    # runs recorded from another system's events (``POST /api/v1/work/events/``) have no flow
    source = models.CharField(_("source"), max_length=20, choices=RunSource.choices, default=RunSource.OPSFLOW)
    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    # facts written once when the run finishes (metrics aggregate these columns in SQL)
    cycle_seconds = models.PositiveIntegerField(_("cycle time (s)"), null=True, blank=True)
    on_time = models.BooleanField(_("every step on time"), null=True, blank=True)
    has_exception = models.BooleanField(_("had an exception"), default=False)
    flow_process = models.OneToOneField(
        FlowProcess,
        verbose_name=_("flow process"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="run",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["-started_at"]
        constraints = [
            # starting the same order twice returns the same run
            models.UniqueConstraint(
                fields=["version", "external_id"], condition=~models.Q(external_id=""), name="run_external_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["department", "status"]),
            models.Index(fields=["version", "finished_at"], name="run_finished_idx"),
        ]

    def __str__(self):
        return self.title or self.external_id or f"#{self.pk}"


class WorkItem(CompiledSaves, models.Model):
    """A piece of owned work with a deadline: a run's step or an exception follow-up.

    Every inbox, deadline, escalation and metric reads these rows. The times are facts: created,
    assigned (last (re)assignment), started (first claim), finished and due.
    """

    # the registered kinds (processes.kinds): each app declares its own, processes lists none of theirs
    kind = models.CharField(_("kind"), max_length=20, choices=kind_choices, default=WorkKind.STEP)
    # run, department and assignee: no index of their own, each leads a composite index below (every
    # index is written on every step completion, twice)
    run = models.ForeignKey(
        Run,
        verbose_name=_("run"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.CASCADE,
        related_name="items",
    )
    # the run's process, copied when the work is created (a run never changes process): effect tables
    # and dashboards filter a process's steps on this column and its index instead of joining the runs
    process = models.ForeignKey(
        "processes.Process",
        verbose_name=_("process"),
        null=True,
        blank=True,
        editable=False,
        db_index=False,  # read through work_process_done_idx
        on_delete=models.PROTECT,
        related_name="+",
    )
    project = models.ForeignKey(
        "processes.ImprovementProject",
        verbose_name=_("improvement project"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="work_items",
    )
    step = models.ForeignKey(
        "processes.Step", verbose_name=_("step"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exception_plan = models.ForeignKey(
        "processes.ExceptionPlan",
        verbose_name=_("exception plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reported on"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    flow_task = models.OneToOneField(
        FlowTask,
        verbose_name=_("flow task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="work_item",
    )
    position = models.PositiveIntegerField(_("step number"), default=0)
    subject_url = models.CharField(
        _("link"), max_length=300, blank=True, help_text=_("The page of what this work is about (work outside runs).")
    )
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_zh = models.CharField(_("title (Chinese)"), max_length=300, blank=True)
    department = models.ForeignKey(
        "processes.Department",
        verbose_name=_("department"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.OPS_STAFF)
    automatic = models.BooleanField(_("automatic"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=WorkStatus.choices, default=WorkStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    created_at = models.DateTimeField(_("created"))
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    actor = models.CharField(
        _("actor"), max_length=150, blank=True, help_text=_("Who did the step, as another system named them.")
    )
    # who reported the step through the events API (issue 21): the caller, and the API token used,
    # with the token's name and prefix kept as text so the record survives the token's revocation
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_token = models.ForeignKey(
        "processes.ApiToken",
        verbose_name=_("reported with token"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_token_label = models.CharField(
        _("token"), max_length=130, blank=True, help_text=_("The token's name and prefix, kept after it is revoked.")
    )
    checks_passed = models.JSONField(_("checks passed"), default=list, blank=True)
    checks_failed = models.PositiveSmallIntegerField(_("checks failed"), default=0)
    checks_total = models.PositiveSmallIntegerField(_("checks"), default=0)
    # facts written once at completion (metrics aggregate these columns in SQL)
    waiting_seconds = models.PositiveIntegerField(_("waiting time (s)"), null=True, blank=True)
    working_seconds = models.PositiveIntegerField(_("working time (s)"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("total time (s)"), null=True, blank=True)
    on_time = models.BooleanField(_("on time"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level reached"), default=0)
    # When the next escalation level falls due; empty when none is left or the chain was stopped
    # (completed or reassigned). The sweep reads only this column.
    next_escalation_at = models.DateTimeField(_("next escalation"), null=True, blank=True)
    # the escalation levels that apply, copied when the work is created: [[level, target, after_hours], ...]
    escalation_policy = models.JSONField(_("escalation policy"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    # history rows are read by item (id), run, project and date; the other columns need no index
    history = HistoricalRecords(
        excluded_fields=["updated_at", "process"],
        no_db_index=[
            "step",
            "exception_plan",
            "parent",
            "flow_task",
            "department",
            "assignee",
            "completed_by",
            "reported_by",
            "reported_token",
        ],
    )

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        ordering = ["due_at", "id"]
        indexes = [
            # the sweep: work whose next escalation level is due
            models.Index(
                fields=["next_escalation_at"],
                condition=models.Q(next_escalation_at__isnull=False),
                name="work_escalation_due_idx",
            ),
            # inboxes: my work, and my role's queue in my department
            models.Index(fields=["assignee", "status", "due_at"], name="work_assignee_idx"),
            models.Index(fields=["department", "role", "status", "due_at"], name="work_queue_idx"),
            models.Index(fields=["run", "position"], name="work_run_idx"),
            # only reported steps have a token: steps done in OpsFlow write nothing to this index, and a
            # token's revocation finds its rows without a scan
            models.Index(
                fields=["reported_token"],
                condition=models.Q(reported_token__isnull=False),
                name="work_reported_token_idx",
            ),
            models.Index(
                fields=["reported_by"], condition=models.Q(reported_by__isnull=False), name="work_reported_by_idx"
            ),
            # a step's finished work (process dashboard: waiting, working and on time per step), answered
            # from the index alone
            models.Index(
                fields=["step", "finished_at"],
                include=["run", "waiting_seconds", "working_seconds", "duration_seconds", "on_time"],
                condition=models.Q(kind="step", automatic=False, status="done"),
                name="work_step_finished_idx",
            ),
            # dashboards and effect tables: finished steps by time, answered from the index alone
            models.Index(
                fields=["finished_at"],
                include=[
                    "id",
                    "run",
                    "step",
                    "department",
                    "on_time",
                    "duration_seconds",
                    "waiting_seconds",
                    "working_seconds",
                    "checks_total",
                    "checks_failed",
                ],
                condition=models.Q(kind="step", automatic=False, status="done"),
                name="work_step_done_idx",
            ),
            # effect tables: one process's finished steps by time, with when they were created and how
            # far they escalated (escalation rate, backlog), answered from the index alone
            models.Index(
                fields=["process", "finished_at"],
                include=[
                    "created_at",
                    "escalation_level",
                    "on_time",
                    "duration_seconds",
                    "waiting_seconds",
                    "working_seconds",
                    "checks_total",
                    "checks_failed",
                ],
                condition=models.Q(kind="step", automatic=False, status="done"),
                name="work_process_done_idx",
            ),
            # open work and what of it is overdue, by department
            models.Index(
                fields=["department", "due_at"],
                condition=models.Q(status__in=["open", "claimed"]),
                name="work_open_idx",
            ),
            # escalations by department and role join only escalated work
            models.Index(
                fields=["id"],
                include=["department", "role", "run", "step"],
                condition=models.Q(escalation_level__gt=0),
                name="work_escalated_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.run_id is not None and self.process_id is None:
            run = self._state.fields_cache.get("run")
            if run is not None and "version" in run._state.fields_cache:
                self.process_id = run.version.process_id
            else:
                self.process_id = (
                    Run.objects.filter(pk=self.run_id).values_list("version__process_id", flat=True).first()
                )
        super().save(*args, **kwargs)

    @property
    def title(self):
        return bilingual(self, "title")

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


class Escalation(models.Model):
    """One level of escalation of one overdue work item; the unique key makes it happen once."""

    work_item = models.ForeignKey(
        WorkItem, verbose_name=_("work item"), on_delete=models.CASCADE, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    target = models.CharField(_("escalated to"), max_length=30)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("recipients"), related_name="+")
    created_at = models.DateTimeField(_("created"), db_index=True)
    due_at = models.DateTimeField(_("deadline missed"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["work_item", "level"], name="escalation_once_per_level")]

    def __str__(self):
        return f"{self.work_item} L{self.level}"


class Notification(models.Model):
    """A message to one person, shown in the notification centre and delivered once by each channel
    (``NotificationDelivery``, ``processes.channels``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    key = models.CharField(_("key"), max_length=120, unique=True, help_text=_("Makes each notification happen once."))
    work_item = models.ForeignKey(
        WorkItem, verbose_name=_("work item"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    escalation = models.ForeignKey(
        Escalation, verbose_name=_("escalation"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject_en = models.CharField(_("subject (English)"), max_length=300)
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self):
        return self.subject

    @property
    def subject(self):
        return bilingual(self, "subject")
