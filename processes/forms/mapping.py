"""Forms of process mapping (template 1): current-state analyses with their as-is steps, and bottlenecks."""

from django import forms

from ..models import AsIsStep, Bottleneck, CurrentStateAnalysis
from .standards import RowForm, row_formset


class BottleneckForm(forms.ModelForm):
    class Meta:
        model = Bottleneck
        fields = ["process", "kind", "step", "evidence", "proposed_fix", "problems"]
        widgets = {
            "evidence": forms.Textarea(attrs={"rows": 2}),
            "proposed_fix": forms.Textarea(attrs={"rows": 2}),
            "problems": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = project.processes.all()
        self.fields["problems"].queryset = project.problems.all()


class AnalysisForm(forms.ModelForm):
    class Meta:
        model = CurrentStateAnalysis
        fields = ["process", "owner", "pain_points_en", "pain_points_zh", "risk"]
        widgets = {
            "pain_points_en": forms.Textarea(attrs={"rows": 2}),
            "pain_points_zh": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = project.processes.all()


class AsIsStepForm(RowForm):
    class Meta:
        model = AsIsStep
        fields = ["name_en", "name_zh", "department", "role", "hours", "time_limit_known", "note"]


def asis_formset(data=None, initial=None):
    return row_formset(AsIsStepForm, "steps", data=data, initial=initial)
