from .execution import Escalation, Notification, Run, RunProcess, WorkItem
from .org import Department, User
from .standards import EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step

__all__ = [
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
