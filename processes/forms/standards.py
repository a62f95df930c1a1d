from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import access
from ..constants import AUTHOR_STANDARD
from ..models import Department, EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step
from ..services.standards import STEP_FIELDS, VERSION_FIELDS


class ProcessForm(forms.ModelForm):
    class Meta:
        model = Process
        fields = ["code", "name_en", "name_zh", "department", "description_en", "description_zh"]
        widgets = {
            "description_en": forms.Textarea(attrs={"rows": 2}),
            "description_zh": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # only departments where the user may author standards
        scope = access.department_scope(user)
        departments = Department.objects.all() if scope is None else Department.objects.filter(pk__in=scope)
        self.fields["department"].queryset = departments
        if self.instance.pk:
            self.fields["code"].disabled = True
        self.user = user

    def clean_department(self):
        department = self.cleaned_data["department"]
        if not access.can(self.user, AUTHOR_STANDARD, department.pk):
            raise forms.ValidationError(_("You cannot author standards for this department."))
        return department


class VersionForm(forms.ModelForm):
    class Meta:
        model = StandardVersion
        # the version's own text fields, the change note last
        fields = [*(name for name in VERSION_FIELDS if name != "change_note"), "change_note"]
        widgets = {name: forms.Textarea(attrs={"rows": 2}) for name in fields}


class RowForm(forms.ModelForm):
    """A row of a child table inside the template 2 form; the service saves it, not the form."""

    key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def row_values(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self._meta.fields}
        if self.cleaned_data.get("key"):
            data["key"] = self.cleaned_data["key"]
        return data


class StepForm(RowForm):
    class Meta:
        model = Step
        fields = STEP_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in STEP_FIELDS
            if name.startswith(("standard_", "inputs_", "outputs_", "checks_"))
        }

    def clean(self):
        data = super().clean()
        if data.get("automatic") is False and not data.get("department"):
            self.add_error("department", _("A manual step needs a responsible department."))
        return data


class TargetForm(RowForm):
    class Meta:
        model = StandardTarget
        fields = ["kind", "indicator_en", "indicator_zh", "comparator", "value", "unit"]


class EscalationLevelForm(RowForm):
    class Meta:
        model = EscalationLevel
        fields = ["level", "target", "after_hours"]


class ExceptionPlanForm(RowForm):
    class Meta:
        model = ExceptionPlan
        fields = ["trigger_en", "trigger_zh", "action_en", "action_zh", "department", "response_limit", "response_unit"]
        widgets = {"action_en": forms.Textarea(attrs={"rows": 2}), "action_zh": forms.Textarea(attrs={"rows": 2})}


class BaseRowFormSet(forms.BaseFormSet):
    def clean(self):
        """Two rows with the same key would be saved as one (the later overwriting the earlier)."""
        super().clean()
        seen = {}
        for index, form in enumerate(self.forms):
            key = getattr(form, "cleaned_data", {}).get("key")
            if not key or self._should_delete_form(form):
                continue
            first = seen.setdefault(key, index)
            if first != index:
                form.add_error(None, _("Row %(n)s has the same key; each row needs its own.") % {"n": first + 1})

    def ordered_rows(self) -> list[dict]:
        """The kept rows in the order the user arranged them (ORDER field), blank new rows skipped."""
        rows = []
        for index, form in enumerate(self.forms):
            if self._should_delete_form(form):
                continue
            if index >= self.initial_form_count() and not form.has_changed():
                continue  # an empty row added but never filled in
            order = form.cleaned_data.get("ORDER") if self.can_order else None
            rows.append((order if order is not None else 10**6 + index, index, form.row_values()))
        return [row for _order, _index, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def row_formset(form_class, prefix, *, data=None, initial=None, order=True):
    formset_class = forms.formset_factory(
        form_class, formset=BaseRowFormSet, extra=0, can_order=order, can_delete=True, max_num=200, validate_max=True
    )
    return formset_class(data=data, initial=initial, prefix=prefix)


ROW_TABLES = [
    # prefix, form, related name, ordered by the user
    ("steps", StepForm, "steps", True),
    ("targets", TargetForm, "targets", True),
    ("levels", EscalationLevelForm, "escalation_levels", False),
    ("plans", ExceptionPlanForm, "exception_plans", True),
]


def _plain(value):
    """Decimals without trailing zeros in the form (24, not 24.0000)."""
    if isinstance(value, Decimal):
        return Decimal(f"{value.normalize():f}")
    return value


def version_formsets(version, data=None):
    formsets = {}
    for prefix, form_class, related, ordered in ROW_TABLES:
        initial = None
        if data is None:
            initial = []
            for obj in getattr(version, related).all():
                row = {name: _plain(getattr(obj, name)) for name in form_class._meta.fields}
                for name in form_class._meta.fields:
                    if obj._meta.get_field(name).is_relation:
                        row[name] = getattr(obj, f"{name}_id")
                if hasattr(obj, "key"):
                    row["key"] = obj.key
                initial.append(row)
        formsets[prefix] = row_formset(form_class, prefix, data=data, initial=initial, order=ordered)
    return formsets
