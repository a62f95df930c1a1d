from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "processes"
    verbose_name = _("Processes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # imports here: models and services load only once the app registry is ready (Django's rule)
        from . import flows  # noqa: F401  (viewflow registers the flow's permissions at import)
        from .models import User
        from .roles import ensure_role_groups
        from .services.tokens import revoke_tokens_on_password_change
        from .tombstones import track_processes

        track_processes()

        post_migrate.connect(ensure_role_groups, dispatch_uid="processes.ensure_role_groups")
        # every way of setting a password (own change, admin, reset, set_password) ends in User.save()
        post_save.connect(revoke_tokens_on_password_change, sender=User, dispatch_uid="processes.tokens_on_password")
