from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = _("Processes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import flows  # noqa: F401  (viewflow registers the flow's permissions at import)
        from .roles import ensure_role_groups
        from .tombstones import track_processes

        track_processes()

        post_migrate.connect(ensure_role_groups, dispatch_uid="processes.ensure_role_groups")
