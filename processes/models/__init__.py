from .audit import RoleChange
from .calendar import BusinessCalendar, CalendarDay
from .cases import Case, CaseTag
from .integrations import ApiToken, IntegrationAccount, WebhookDelivery, WebhookSubscription
from .mapping import AsIsStep, Bottleneck, CurrentStateAnalysis
from .notifications import NotificationDelivery
from .org import Department, User
from .projects import Goal, ImprovementProject, Problem, ProjectNote, TeamMember
from .standards import EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step
from .sync import Tombstone
from .work import Escalation, Notification, Run, RunProcess, RunTask, WorkItem

__all__ = [
    "RoleChange",
    "ApiToken",
    "IntegrationAccount",
    "WebhookDelivery",
    "WebhookSubscription",
    "AsIsStep",
    "Bottleneck",
    "CurrentStateAnalysis",
    "Goal",
    "ImprovementProject",
    "Problem",
    "ProjectNote",
    "TeamMember",
    "BusinessCalendar",
    "Case",
    "CaseTag",
    "CalendarDay",
    "Escalation",
    "Notification",
    "NotificationDelivery",
    "Run",
    "RunProcess",
    "RunTask",
    "WorkItem",
    "Department",
    "EscalationLevel",
    "ExceptionPlan",
    "Process",
    "StandardTarget",
    "StandardVersion",
    "Step",
    "Tombstone",
    "User",
]
