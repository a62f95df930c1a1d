from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RoleChange(models.Model):
    """One grant or revoke of a right: a role (group) given or taken, or the superuser or staff flag
    set or cleared; who did it and when. Rows are never changed (the audit trail of issue 21)."""

    SUPERUSER = "superuser"
    STAFF = "staff"

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="role_changes",
    )
    username = models.CharField(_("username"), max_length=150)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_username = models.CharField(_("changed by (username)"), max_length=150, blank=True)
    role = models.CharField(_("role or flag"), max_length=150)
    granted = models.BooleanField(_("granted"), help_text=_("Granted when ticked, revoked otherwise."))

    class Meta:
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.username}: {'+' if self.granted else '-'}{self.role}"
