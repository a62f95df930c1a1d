from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of the design card, each backed by a Django group of the same code."""

    OPS_STAFF = "ops_staff", _("Ops staff")
    PROCESS_SPECIALIST = "process_specialist", _("Process specialist")
    MANAGER = "manager", _("Manager")
    OPERATIONS_DIRECTOR = "operations_director", _("Operations director")
    IT_SUPPORT = "it_support", _("IT support")
    ADMIN = "admin", _("Administrator")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    PILOTING = "piloting", _("In a pilot")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class TimeUnit(models.TextChoices):
    """How a time limit is counted: wall-clock hours, or working hours/days on the business calendar."""

    HOURS = "hours", _("hours")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


class Comparator(models.TextChoices):
    LTE = "<=", "≤"
    GTE = ">=", "≥"
    LT = "<", "<"
    GT = ">", ">"
    EQ = "=", "="


class TargetKind(models.TextChoices):
    GOAL = "goal", _("Goal target")
    QUALITY = "quality", _("Quality standard")


class EscalationTarget(models.TextChoices):
    SUPERVISOR = "supervisor", _("the assignee's supervisor")
    DEPARTMENT_HEAD = "department_head", _("the head of the step's department")
    OPERATIONS_DIRECTOR = "operations_director", _("the operations director")


class RunStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkKind(models.TextChoices):
    """processes' own kinds of work item; the other apps declare theirs in their ``choices`` and register
    them (``processes.kinds``), which is where ``WorkItem.kind`` takes its choices from."""

    STEP = "step", _("Process step")
    EXCEPTION = "exception", _("Exception follow-up")
    PHASE = "phase", _("Project phase")
    GATE = "gate", _("Phase gate")


class WorkStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLAIMED = "claimed", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class NotificationKind(models.TextChoices):
    ESCALATION = "escalation", _("Escalation")
    ASSIGNED = "assigned", _("Assigned to you")
    EXCEPTION = "exception", _("Exception reported")


class ProjectPhase(models.TextChoices):
    PREPARATION = "preparation", _("Preparation")
    MAPPING = "mapping", _("Process mapping")
    STANDARDS = "standards", _("Standard setting")
    PILOT = "pilot", _("Pilot run")
    ROLLOUT = "rollout", _("Full rollout")
    ITERATION = "iteration", _("Continuous optimization")
    CLOSED = "closed", _("Closed")


class TeamRole(models.TextChoices):
    LEAD = "lead", _("Project lead")
    BUSINESS_BACKBONE = "business_backbone", _("Business backbone")
    PROCESS_SPECIALIST = "process_specialist", _("Process specialist")
    IT_SUPPORT = "it_support", _("IT support")


class ProblemSource(models.TextChoices):
    DATA = "data", _("Historical data")
    INTERVIEW = "interview", _("Employee interview")
    CUSTOMER = "customer", _("Customer feedback")


class Level(models.TextChoices):
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


class NoteKind(models.TextChoices):
    INTERVIEW = "interview", _("Employee interview")
    CUSTOMER = "customer", _("Customer feedback")


class BottleneckKind(models.TextChoices):
    BREAK_POINT = "break_point", _("Break point")
    DUPLICATED = "duplicated", _("Duplicated step")
    CHOKE_POINT = "choke_point", _("Resource choke point")
    OTHER = "other", _("Other")


class SuggestionState(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested by the system")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ReviewCadence(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class CaseSource(models.TextChoices):
    REVIEW = "review", _("Periodic review")
    PILOT = "pilot", _("Pilot")
    PROJECT = "project", _("Improvement project")
    OTHER = "other", _("Other")


class RunSource(models.TextChoices):
    OPSFLOW = "opsflow", _("Run in OpsFlow")
    EVENTS = "events", _("Events from another system")


class NotificationDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")
