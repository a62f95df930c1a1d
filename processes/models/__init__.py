from .calendar import BusinessCalendar, CalendarDay
from .cases import Case, CaseTag
from .execution import Escalation, Notification, Run, RunProcess, WorkItem
from .org import Department, User
from .projects import (
    AsIsStep,
    Bottleneck,
    CurrentStateAnalysis,
    Goal,
    ImprovementProject,
    Problem,
    ProjectNote,
    TeamMember,
)
from .standards import EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step

__all__ = [
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
    "Run",
    "RunProcess",
    "WorkItem",
    "Department",
    "EscalationLevel",
    "ExceptionPlan",
    "Process",
    "StandardTarget",
    "StandardVersion",
    "Step",
    "User",
]
