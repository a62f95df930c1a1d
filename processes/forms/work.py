from django import forms
from django.utils.translation import gettext_lazy as _

from .. import access
from ..choices import VersionStatus
from ..constants import VIEW
from ..models import Department


class StartRunForm(forms.Form):
    version = forms.ModelChoiceField(queryset=None, label=_("Standard"))
    department = forms.ModelChoiceField(
        queryset=None,
        label=_("Department"),
        required=False,
        help_text=_("Empty: the process's owner department."),
    )
    external_id = forms.CharField(
        label=_("External id"), max_length=100, required=False, help_text=_("e.g. the order number")
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    business_line = forms.CharField(
        label=_("Business line"),
        max_length=100,
        required=False,
        help_text=_("Optional, e.g. a sales channel; a pilot may be scoped to one."),
    )

    def __init__(self, *args, user, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = self.version_label
        scope = access.department_scope(user)
        departments = Department.objects.all() if scope is None else Department.objects.filter(pk__in=scope)
        self.fields["department"].queryset = departments
        self.user = user

    @staticmethod
    def version_label(version) -> str:
        if version.status == VersionStatus.PILOTING:
            return _("%(process)s (v%(number)s, in a pilot)") % {"process": version.process, "number": version.number}
        return f"{version.process} (v{version.number})"

    def clean(self):
        data = super().clean()
        version = data.get("version")
        if version is not None and data.get("department") is None:
            data["department"] = version.process.department
        department = data.get("department")
        if department is not None and not access.can(self.user, VIEW, department.pk):
            self.add_error("department", _("You cannot start runs for this department."))
        return data
