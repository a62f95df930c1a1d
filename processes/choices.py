from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of the design card, each backed by a Django group of the same code."""

    OPS_STAFF = "ops_staff", _("Ops staff")
    PROCESS_SPECIALIST = "process_specialist", _("Process specialist")
    MANAGER = "manager", _("Manager")
    OPERATIONS_DIRECTOR = "operations_director", _("Operations director")
    IT_SUPPORT = "it_support", _("IT support")
    ADMIN = "admin", _("Administrator")
