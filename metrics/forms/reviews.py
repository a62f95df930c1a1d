"""Forms of periodic reviews: conclusions and a new action."""

from django import forms
from django.utils.translation import gettext_lazy

from processes.models import Department, Process
from processes.services.projects import project_processes

from ..choices import ActionKind


class ConclusionsForm(forms.Form):
    conclusions = forms.CharField(label=gettext_lazy("Conclusions"), widget=forms.Textarea(attrs={"rows": 4}))


class ActionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Action"), choices=ActionKind.choices)
    description = forms.CharField(label=gettext_lazy("What to do"), widget=forms.Textarea(attrs={"rows": 2}))
    process = forms.ModelChoiceField(
        label=gettext_lazy("Process (to adjust its standard)"), queryset=Process.objects.none(), required=False
    )
    responsible_department = forms.ModelChoiceField(
        label=gettext_lazy("Responsible department (tracked item)"), queryset=Department.objects.none(), required=False
    )
    due_days = forms.IntegerField(label=gettext_lazy("Due (working days)"), min_value=1, max_value=120, required=False)

    def __init__(self, *args, review, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = project_processes(review.project).order_by("code")
        self.fields["responsible_department"].queryset = Department.objects.order_by("code")
