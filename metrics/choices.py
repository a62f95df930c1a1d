from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    LOWER = "lower", _("lower is better")
    HIGHER = "higher", _("higher is better")


class Source(models.TextChoices):
    COMPUTED = "computed", _("computed from runs")
    MEASURED = "measured", _("measured elsewhere")


class Computation(models.TextChoices):
    """How a computed indicator is counted from execution data (one SQL aggregate each)."""

    CYCLE_TIME = "cycle_time", _("run cycle time (hours)")
    STEP_TIME = "step_time", _("step time, created to finished (hours)")
    WAITING_TIME = "waiting_time", _("step waiting time, created to started (hours)")
    WORKING_TIME = "working_time", _("step working time, started to finished (hours)")
    ON_TIME_RATE = "on_time_rate", _("steps finished on time (%)")
    RUN_ON_TIME_RATE = "run_on_time_rate", _("runs with every step on time (%)")
    ESCALATION_RATE = "escalation_rate", _("steps escalated (%)")
    EXCEPTION_RATE = "exception_rate", _("runs with an exception (%)")
    ERROR_RATE = "error_rate", _("quality checks failed (%)")
    THROUGHPUT = "throughput", _("runs finished")
    BACKLOG = "backlog", _("open steps at the end of the period")


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", _("entered by hand")
    IMPORT = "import", _("imported from a file")
    API = "api", _("posted by a REST client")


class Verdict(models.TextChoices):
    REACHED = "reached", _("goal reached")
    FAR_EXCEEDED = "far_exceeded", _("far beyond expectation")
    NOT_REACHED = "not_reached", _("not reached")
    KEEP_TRACKING = "keep_tracking", _("keep tracking")


class TargetKind(models.TextChoices):
    RELATIVE = "relative", _("relative change (%)")
    ABSOLUTE = "absolute", _("absolute bound")


class ActionKind(models.TextChoices):
    ADJUST_STANDARD = "adjust_standard", _("Adjust the standard")
    TRACK = "track", _("Tracked item")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class MetricsWorkKind(models.TextChoices):
    """The periodic reviews' kinds of work item (registered in MetricsConfig.ready)."""

    PERIODIC_REVIEW = "periodic_review", _("Periodic review")
    ACTION = "action", _("Improvement action")
