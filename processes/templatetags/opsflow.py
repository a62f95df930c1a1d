from html import escape

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from .. import access
from ..choices import Role, WorkKind, WorkStatus
from ..documents.formatting import number
from ..documents.formatting import time_limit as format_limit
from ..phases import PHASES_BY_SLUG

register = template.Library()


@register.filter
def sees(user, department_id):
    """``{% if request.user|sees:obj.department_id %}``: is the department in the user's scope? Links to
    pages the user cannot open (another department's standard, say) are shown as plain text."""
    return access.in_scope(user, department_id)


@register.simple_tag
def phase_heading(slug):
    """``{% phase_heading "standards" %}``: "Phase 3: Standard setting", from the one list of phases."""
    return PHASES_BY_SLUG[slug].heading


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
    if hasattr(obj, "response_limit"):
        return format_limit(obj.response_limit, obj.response_unit)
    return format_limit(obj.time_limit, obj.time_unit)


@register.filter
def time_limit_of(amount, unit):
    """``{{ amount|time_limit_of:unit }}``: a limit given as its two parts."""
    return format_limit(amount, unit)


@register.filter
def num(value):
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


@register.simple_tag(takes_context=True)
def work_item_rows(context, items, empty_text):
    """The rows of the inbox's tables (``processes/work/_items_table.html``) from
    ``selectors.inbox_page``'s lines, written in Python: the inbox shows up to 500 of them and the
    template language spent about a millisecond a row (19 lookups, 19 translations, 2 URL
    reversals, Django's date formatting); here labels are translated, escaped and URLs reversed once
    per table, each value escaped once. Same markup as the template wrote."""

    if not items:
        return format_html('<tr><td colspan="6" class="empty">{}</td></tr>', empty_text)
    user, now = context["request"].user, context.get("now")
    label = {key: escape(gettext(key)) for key in ("Due", "Work", "Run", "Department", "Role", "Status")}
    overdue = f' <span class="chip chip--danger">{escape(gettext("overdue"))}</span>'
    no_limit = f'<span class="muted">{escape(gettext("no time limit"))}</span>'
    reached = escape(gettext("escalation level reached"))
    roles = {k: escape(str(v)) for k, v in Role.choices}
    statuses = {k: escape(str(v)) for k, v in WorkStatus.choices}
    marker = "987654321"  # an id no URL holds, replaced by each row's
    item_url = escape(reverse("work:item-detail", args=[marker]))
    run_url = escape(reverse("work:run-detail", args=[marker]))
    project_url = escape(reverse("projects:detail", args=[marker]))
    rows = []
    for item in items:
        late = bool(item.due_at and now is not None and item.due_at < now)
        # the date filter's "m-d H:i" in the current time zone
        due = f"{template_localtime(item.due_at):%m-%d %H:%M}{overdue if late else ''}" if item.due_at else no_limit
        if item.escalation_level:
            due += f' <span class="chip chip--warn" title="{reached}">⇧{int(item.escalation_level)}</span>'
        warn = "⚠ " if item.kind == WorkKind.EXCEPTION else ""
        work = f'<a href="{item_url.replace(marker, str(int(item.pk)))}">{warn}{escape(item.title)}</a>'
        if item.run_id:
            href = run_url.replace(marker, str(int(item.run_id)))
            run = f'<a href="{href}">{escape(item.process_name)} · {escape(item.run_name)}</a>'
        elif item.project_id:
            name = escape(item.project_name)
            if access.in_scope(user, item.project_department_id):
                run = f'<a href="{project_url.replace(marker, str(int(item.project_id)))}">{name}</a>'
            else:
                run = name
        else:
            run = ""
        status = statuses.get(item.status) or escape(item.status)
        if item.assignee_id:
            status += f" · {escape(item.assignee_name)}"
        rows.append(
            f'<tr class="{"is-overdue" if late else ""}">\n'
            f'      <td class="nowrap" data-label="{label["Due"]}"><span>{due}</span></td>\n'
            f'      <td data-label="{label["Work"]}">{work}</td>\n'
            f'      <td data-label="{label["Run"]}">{run}</td>\n'
            f'      <td data-label="{label["Department"]}">{escape(item.department_name)}</td>\n'
            f'      <td data-label="{label["Role"]}">{roles.get(item.role) or escape(item.role)}</td>\n'
            f'      <td data-label="{label["Status"]}"><span>{status}</span></td>\n'
            "    </tr>"
        )
    # every value above went through html.escape (what Django's escape filter calls), numbers through int()
    return mark_safe("\n    ".join(rows))  # nosec B308, B703
