"""Forms of indicators: a measurement entered by hand."""

from django import forms

from processes import access
from processes.models import Process

from ..models import Measurement


def processes_for(user):
    """The processes ``user`` may pick (their scope)."""
    return access.scope_queryset(user, Process.objects.all())


class MeasurementForm(forms.ModelForm):
    class Meta:
        model = Measurement
        fields = ["indicator", "process", "period_start", "period_end", "value", "sample_size", "numerator", "note"]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = processes_for(user)
