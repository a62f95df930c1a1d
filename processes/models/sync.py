from django.db import models
from django.utils.translation import gettext_lazy as _


class Tombstone(models.Model):
    """The record that a synced row was deleted, so a client pulling changes can delete its copy.

    ``department`` is the department the row belonged to when it was deleted (it decides who sees
    the tombstone); it is not a constraint, so the tombstone outlives the department.
    """

    model = models.CharField(_("model"), max_length=100, help_text=_("app_label.model_name, e.g. processes.goal"))
    object_id = models.CharField(_("object id"), max_length=64)
    department = models.ForeignKey(
        "processes.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted"), db_index=True)

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        ordering = ["id"]
        indexes = [models.Index(fields=["model", "deleted_at"], name="tombstone_model_idx")]

    def __str__(self):
        return f"{self.model}#{self.object_id}"
