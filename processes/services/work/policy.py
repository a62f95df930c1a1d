"""Escalation policies: which level fires how many hours after a work item's deadline, and to whom.

A policy is a tuple of ``PolicyLevel`` values. Work items and runs store it as JSON rows
(``[[1, "supervisor", "4"], ...]``: level, target, hours after the deadline as a decimal string), so
``policy_levels`` reads a stored policy and ``policy_rows`` writes one; rows stored before this value
existed read the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from ...choices import EscalationTarget


class PolicyLevel(NamedTuple):
    """One level of an escalation policy: ``level`` fires ``after_hours`` after the deadline, to ``target``."""

    level: int
    target: EscalationTarget
    after_hours: Decimal


Policy = tuple[PolicyLevel, ...]

# Used when the work belongs to no standard with its own policy: the supervisor (or the department's
# head when nobody took it) 4 hours after the deadline, then the department head a day later.
DEFAULT_ESCALATION: Policy = (
    PolicyLevel(1, EscalationTarget.SUPERVISOR, Decimal("4")),
    PolicyLevel(2, EscalationTarget.DEPARTMENT_HEAD, Decimal("24")),
)


def policy_levels(rows: Iterable[Sequence]) -> Policy:
    """A policy from its stored rows (or from ``PolicyLevel`` values, which are returned as they are)."""
    return tuple(
        row
        if isinstance(row, PolicyLevel)
        else PolicyLevel(int(row[0]), EscalationTarget(row[1]), Decimal(str(row[2])))
        for row in rows
    )


def policy_rows(levels: Iterable[Sequence]) -> list[list]:
    """A policy as it is stored in JSON: ``[[level, target, "hours"], ...]``."""
    return [[level.level, level.target.value, str(level.after_hours)] for level in policy_levels(levels)]


def next_escalation(due: datetime | None, levels: Iterable[Sequence], reached: int) -> datetime | None:
    """When the first level above ``reached`` fires for work due at ``due``; None when no level is left."""
    if due is None:
        return None
    for level in policy_levels(levels):
        if level.level > reached:
            return due + timedelta(hours=float(level.after_hours))
    return None


def next_level(levels: Policy, reached: int) -> PolicyLevel | None:
    """The first level above ``reached``, if any."""
    return next((level for level in levels if level.level > reached), None)
