from .org import Department, User
from .standards import EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step

__all__ = [
    "Department",
    "EscalationLevel",
    "ExceptionPlan",
    "Process",
    "StandardTarget",
    "StandardVersion",
    "Step",
    "User",
]
