from django import template

from ..choices import Role

register = template.Library()


@register.filter
def role_label(code):
    """The translated label of a role code ("ops_staff" -> "Ops staff")."""
    try:
        return Role(code).label
    except ValueError:
        return code
