"""Keeps one Django group per role, with the Django model permissions the admin site needs."""

from django.contrib.auth.models import Group, Permission

from .choices import Role

# Django-admin permissions (app_label, codename) per role; everything else is decided by
# processes.access. IT support manages people and departments in the admin site.
ADMIN_SITE_PERMISSIONS = {
    Role.IT_SUPPORT: [
        ("processes", f"{action}_{model}") for model in ("user", "department") for action in ("add", "change", "view")
    ]
    + [
        ("processes", f"{action}_{model}")
        for model in ("calendarday", "businesscalendar")
        for action in ("add", "change", "delete", "view")
    ]
    + [("auth", "view_group"), ("processes", "view_apitoken"), ("processes", "delete_apitoken")]
    # the audit trail of role grants and revokes (read-only for everybody)
    + [("processes", "view_rolechange")],
}


def ensure_role_groups(**kwargs):
    """post_migrate: create the role groups and grant their permissions (idempotent)."""
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = ADMIN_SITE_PERMISSIONS.get(role, [])
        if not wanted:
            continue
        perms = Permission.objects.filter(
            content_type__app_label__in={app for app, _ in wanted},
            codename__in={code for _, code in wanted},
        )
        group.permissions.add(*perms)
