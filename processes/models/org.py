from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import BilingualNameMixin, TimeStampedModel


class Department(BilingualNameMixin, TimeStampedModel):
    """A unit of the organisation (Sales, Warehouse, ...); departments nest, and each may have a head."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        "processes.User",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name_en"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="department_not_own_parent")
        ]

    def clean(self):
        # A department may not sit below itself (directly or through its descendants).
        seen, node = set(), self.parent
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("A department cannot be placed inside itself.")})
            seen.add(node.pk)
            node = node.parent


class User(AbstractUser):
    """A person who uses OpsFlow; roles are the groups they belong to."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    supervisor = models.ForeignKey(
        "self",
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    language = models.CharField(
        _("preferred language"), max_length=10, blank=True, choices=[("en", "English"), ("zh-hans", "简体中文")]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    def clean(self):
        super().clean()
        if self.supervisor_id and self.supervisor_id == self.pk:
            raise ValidationError({"supervisor": _("A person cannot be their own supervisor.")})

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
