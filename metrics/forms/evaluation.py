from django import forms
from django.utils.translation import gettext_lazy as _

from ..choices import TargetKind, Verdict
from ..models import Evaluation, Indicator
from .indicators import processes_for


class EvaluationForm(forms.ModelForm):
    class Meta:
        model = Evaluation
        fields = ["title", "process", "baseline_start", "baseline_end", "evaluation_start", "evaluation_end"]
        widgets = {name: forms.DateInput(attrs={"type": "date"}) for name in fields[2:]}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = processes_for(user)

    def clean(self):
        data = super().clean()
        for start, end, message in (
            ("baseline_start", "baseline_end", _("The baseline ends before it starts.")),
            ("evaluation_start", "evaluation_end", _("The evaluation period ends before it starts.")),
        ):
            if data.get(start) and data.get(end) and data[end] < data[start]:
                self.add_error(end, message)
        return data


class EvaluationRowForm(forms.Form):
    indicator = forms.ModelChoiceField(queryset=Indicator.objects.all(), label=_("Indicator"))
    target_kind = forms.ChoiceField(choices=[("", "—"), *TargetKind.choices], required=False, label=_("Target kind"))
    target_value = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=4,
        label=_("Target"),
        help_text=_("e.g. -20 (a 20% cut) or 1 (a bound in the indicator's unit)"),
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("target_kind")) != (data.get("target_value") is not None):
            raise forms.ValidationError(_("Give both the kind of target and its value, or neither."))
        return data


EvaluationRowFormSet = forms.formset_factory(
    EvaluationRowForm, extra=0, can_delete=True, min_num=1, validate_min=True, max_num=50, validate_max=True
)


class OverrideForm(forms.Form):
    verdict = forms.ChoiceField(choices=[("", _("(use the computed verdict)")), *Verdict.choices], required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Reason"))
