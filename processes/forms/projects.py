from django import forms
from django.utils.translation import gettext_lazy as _

from .. import access
from ..choices import TeamRole
from ..models import (
    Department,
    Goal,
    ImprovementProject,
    Problem,
    Process,
    ProjectNote,
    User,
)
from ..references import ScopedReferencesForm


def _scoped(user, qs, field="department"):
    return access.scope_queryset(user, qs, field=field)


class ProjectForm(ScopedReferencesForm, forms.ModelForm):
    class Meta:
        model = ImprovementProject
        fields = [
            "name_en",
            "name_zh",
            "strategic_goal_en",
            "strategic_goal_zh",
            "department",
            "processes",
            "lead",
            "phase_days",
            "review_cadence",
        ]
        widgets = {
            "strategic_goal_en": forms.Textarea(attrs={"rows": 2}),
            "strategic_goal_zh": forms.Textarea(attrs={"rows": 2}),
            "processes": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = access.department_scope(user)
        self.fields["department"].queryset = (
            Department.objects.all() if scope is None else Department.objects.filter(pk__in=scope)
        )
        self.fields["processes"].queryset = _scoped(user, Process.objects.all())
        self.fields["lead"].queryset = User.objects.filter(is_active=True).order_by("username")
        self.narrow_references(user)


class GoalForm(forms.ModelForm):
    class Meta:
        model = Goal
        fields = [
            "indicator",
            "process",
            "description_en",
            "description_zh",
            "baseline_value",
            "target_kind",
            "target_value",
            "due_date",
        ]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = project.processes.all()


class ProblemForm(forms.ModelForm):
    class Meta:
        model = Problem
        fields = ["process", "source", "severity", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = project.processes.all()


class NoteForm(forms.ModelForm):
    class Meta:
        model = ProjectNote
        fields = ["kind", "date", "subject", "text"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}), "text": forms.Textarea(attrs={"rows": 2})}


class TeamMemberForm(ScopedReferencesForm, forms.Form):
    member = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"), label=_("Person")
    )
    role = forms.ChoiceField(choices=TeamRole.choices, label=_("Role in the project"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.narrow_references(user)
