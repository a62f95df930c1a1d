from django import template

from .. import access
from ..choices import Role

register = template.Library()


@register.filter
def sees(user, department_id):
    """``{% if request.user|sees:obj.department_id %}``: is the department in the user's scope? Links to
    pages the user cannot open (another department's standard, say) are shown as plain text."""
    return access.in_scope(user, department_id)


@register.filter
def role_label(code):
    """The translated label of a role code ("ops_staff" -> "Ops staff")."""
    try:
        return Role(code).label
    except ValueError:
        return code


@register.filter
def time_limit(obj):
    """A step's or exception plan's limit as people write it: "≤ 2 h", "≤ 3 working days"."""
    from ..formatting import time_limit as format_limit

    if hasattr(obj, "response_limit"):
        return format_limit(obj.response_limit, obj.response_unit)
    return format_limit(obj.time_limit, obj.time_unit)


@register.filter
def time_limit_of(amount, unit):
    """``{{ amount|time_limit_of:unit }}``: a limit given as its two parts."""
    from ..formatting import time_limit as format_limit

    return format_limit(amount, unit)


@register.filter
def num(value):
    from ..formatting import number

    return number(value)


@register.filter
def status_chip(status):
    """The CSS modifier for a version status chip."""
    return {
        "published": "chip--ok",
        "draft": "chip--warn",
        "submitted": "",
        "approved": "",
        "superseded": "chip--muted",
    }.get(status, "")


@register.filter
def get_item(mapping, key):
    """``{{ counts|get_item:status }}``: a dictionary's value in a template."""
    return mapping.get(key) if hasattr(mapping, "get") else None
