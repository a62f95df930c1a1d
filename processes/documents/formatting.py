"""How limits and roles read in pages, exports and the SOP ("≤ 2 h", "3 working days")."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..choices import Role, TimeUnit


def number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def time_limit(value, unit) -> str:
    """``2, hours`` -> "≤ 2 h"; ``3, working_days`` -> "≤ 3 working days"; ``None`` -> "no time limit"."""
    if value is None:
        return _("no time limit")
    amount = number(value)
    count = int(value) if Decimal(value) == int(value) else 2
    if unit == TimeUnit.WORKING_DAYS:
        text = ngettext("%(n)s working day", "%(n)s working days", count) % {"n": amount}
    elif unit == TimeUnit.WORKING_HOURS:
        text = ngettext("%(n)s working hour", "%(n)s working hours", count) % {"n": amount}
    else:
        text = _("%(n)s h") % {"n": amount}
    return "≤ " + text


def responsibility(step) -> str:
    """ "Sales · Ops staff" (the department and role that own a step)."""
    parts = [str(step.department)] if step.department_id else []
    parts.append(str(Role(step.role).label) if step.role else "")
    return " · ".join(p for p in parts if p)
