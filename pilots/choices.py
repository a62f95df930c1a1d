from django.db import models
from django.utils.translation import gettext_lazy as _


class PilotStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    CLOSED = "closed", _("Closed")


class Arm(models.TextChoices):
    PILOT = "pilot", _("Pilot")
    CONTROL = "control", _("Control")


class FeedbackStatus(models.TextChoices):
    """Template 3's status column: raised, accepted (work in the responsible department's inbox),
    rejected (with a reason), resolved (closed with its resolution)."""

    RAISED = "raised", _("Raised")
    ACCEPTED = "accepted", _("Accepted, in progress")
    REJECTED = "rejected", _("Rejected")
    RESOLVED = "resolved", _("Resolved")


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Rating 1-5")
    TEXT = "text", _("Comment")


class PlanStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Rolling out")
    DONE = "done", _("Done")


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Tier(models.TextChoices):
    """The seed's tiered training: management, execution staff, support staff."""

    MANAGEMENT = "management", _("Management")
    EXECUTION = "execution", _("Execution staff")
    SUPPORT = "support", _("Support staff")


class Cadence(models.TextChoices):
    DAILY = "daily", _("Daily tracking")
    WEEKLY = "weekly", _("Weekly review")


class PilotWorkKind(models.TextChoices):
    """The pilots' kinds of work item (registered in PilotsConfig.ready)."""

    FEEDBACK = "feedback", _("Pilot feedback action")
    MILESTONE = "milestone", _("Rollout milestone")
    MONITORING_REVIEW = "monitoring_review", _("Rollout monitoring review")
