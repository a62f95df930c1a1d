from .calendar import CalendarDay
from .execution import Escalation, Notification, Run, RunProcess, WorkItem
from .org import Department, User
from .standards import EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step

__all__ = [
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
