"""The site menu: a section per lifecycle phase, then work, dashboards and administration.

Each entry names a URL and, optionally, the capability it needs (``processes.constants``); the menu
shows a user only what they may open. Later capabilities add their entries here.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from processes import access
from processes.choices import ProjectPhase
from processes.constants import MANAGE_ORG, VIEW, VIEW_DASHBOARDS, VIEW_ORG
from processes.phases import PHASES


@dataclass(frozen=True)
class Entry:
    title: str
    url_name: str
    icon: str
    capability: str | None = VIEW
    kwargs: tuple = ()


def _sections():
    sections = [
        (
            _("Work"),
            [
                Entry(_("Home"), "home", "home", capability=None),
                Entry(_("Inbox"), "work:inbox", "inbox"),
                Entry(_("Runs"), "work:run-list", "play_circle"),
                Entry(_("Notifications"), "work:notifications", "notifications"),
                Entry(_("Dashboard"), "metrics:dashboard", "insights", capability=VIEW_DASHBOARDS),
                Entry(
                    _("Process dashboard"), "metrics:process-dashboard", "stacked_bar_chart", capability=VIEW_DASHBOARDS
                ),
                Entry(_("Pilot dashboard"), "metrics:pilot-dashboard", "compare_arrows", capability=VIEW_DASHBOARDS),
            ],
        )
    ]
    extra = {
        ProjectPhase.PREPARATION: [Entry(_("Improvement projects"), "projects:list", "work")],
        ProjectPhase.STANDARDS: [Entry(_("Process standards"), "standards:process-list", "description")],
        ProjectPhase.PILOT: [Entry(_("Pilots"), "pilots:list", "science")],
        ProjectPhase.ROLLOUT: [Entry(_("Rollout plans"), "rollouts:list", "campaign")],
        ProjectPhase.ITERATION: [
            Entry(_("Periodic reviews"), "reviews:list", "event_repeat"),
            Entry(_("Case library"), "cases:list", "menu_book"),
            Entry(_("Effect evaluations"), "metrics:evaluation-list", "assessment"),
            Entry(_("Indicators"), "metrics:indicator-list", "straighten"),
            Entry(_("Measurements"), "metrics:measurements", "edit_note"),
        ],
    }
    for phase in PHASES:
        guide = Entry(_("Guide"), "phase", phase.icon, kwargs=(("slug", phase.slug),))
        sections.append((phase.heading, [*extra.get(phase.value, []), guide]))
    sections.append(
        (
            _("Organisation"),
            [
                Entry(_("Departments and people"), "org", "groups", capability=VIEW_ORG),
                Entry(_("Administration"), "admin:index", "admin_panel_settings", capability=MANAGE_ORG),
                Entry(_("API documentation"), "api-docs", "api", capability=VIEW),
                Entry(_("My API tokens"), "integrations:tokens", "key", capability=VIEW),
                Entry(_("Webhooks"), "integrations:webhooks", "webhook", capability=MANAGE_ORG),
            ],
        )
    )
    return sections


def menu_for(user, current_path=""):
    menu = []
    for title, entries in _sections():
        items = []
        for entry in entries:
            if entry.capability and not access.can(user, entry.capability, any_department=True):
                continue
            try:
                url = reverse(entry.url_name, kwargs=dict(entry.kwargs))
            except NoReverseMatch:
                continue
            items.append({"title": entry.title, "url": url, "icon": entry.icon, "active": False})
        if items:
            menu.append({"title": title, "items": items})
    # the entry whose address is the longest prefix of the current page is the active one
    matches = [
        i
        for s in menu
        for i in s["items"]
        if current_path == i["url"] or (i["url"] != "/" and current_path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return menu
