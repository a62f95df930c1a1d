"""Browser forms of the pilot pages (template 3 among them)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from processes import access
from processes.choices import TimeUnit, VersionStatus
from processes.constants import MANAGE_PROJECT
from processes.models import Department, ImprovementProject, StandardVersion, Step, User
from processes.references import ScopedReferencesForm

from ..models import CustomerInterview, FeedbackItem, Pilot
from ..services.pilot import participant_department_ids

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _people():
    return User.objects.filter(is_active=True).order_by("username")


class PilotForm(ScopedReferencesForm, forms.ModelForm):
    class Meta:
        model = Pilot
        fields = [
            "name_en",
            "name_zh",
            "version",
            "project",
            "departments",
            "control_departments",
            "business_line",
            "starts_on",
            "ends_on",
            "cycles",
            "baseline_start",
            "baseline_end",
            "owner",
        ]
        widgets = {
            "departments": forms.CheckboxSelectMultiple,
            "control_departments": forms.CheckboxSelectMultiple,
            "starts_on": DATE,
            "ends_on": DATE,
            "baseline_start": DATE,
            "baseline_end": DATE,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = access.department_scope(user)
        versions = StandardVersion.objects.filter(
            status__in=[VersionStatus.APPROVED, VersionStatus.PILOTING]
        ).select_related("process")
        if self.instance.pk:
            versions = versions | StandardVersion.objects.filter(pk=self.instance.version_id)
        if scope is not None:
            versions = versions.filter(process__department__in=scope)
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda v: f"{v.process} · v{v.number} ({v.get_status_display()})"
        self.fields["version"].help_text = _("An approved version: a manager approved it, it is not published yet.")
        self.fields["project"].queryset = access.scope_queryset(user, ImprovementProject.objects.all())
        # a pilot changes how its departments work: only departments of the user's scope are offered
        mine = access.scope_queryset(user, Department.objects.order_by("code"), field="pk")
        self.fields["departments"].queryset = mine
        self.fields["control_departments"].queryset = mine
        self.fields["owner"].queryset = _people()
        if not self.instance.pk:
            self.initial.setdefault("owner", user.pk)
            self.initial.setdefault("starts_on", timezone.localdate())
        self.user = user
        self.narrow_references(user)

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The pilot must end on or after its start."))
        overlap = set(data.get("departments") or []) & set(data.get("control_departments") or [])
        if overlap:
            self.add_error(
                "control_departments",
                _("A department cannot be in the pilot and in the control group: %(names)s.")
                % {"names": ", ".join(sorted(str(d) for d in overlap))},
            )
        return data

    def clean_version(self):
        version = self.cleaned_data["version"]
        if not access.can(self.user, MANAGE_PROJECT, version.process.department_id):
            raise forms.ValidationError(_("You cannot run pilots of this process."))
        return version


class StandUpForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    guests = forms.CharField(label=_("Other attendees"), max_length=300, required=False)
    problems = forms.CharField(label=_("Problems"), widget=forms.Textarea(attrs={"rows": 3}))
    decisions = forms.CharField(label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    change_step = forms.ModelChoiceField(
        label=_("Change the time limit of step"),
        queryset=Step.objects.none(),
        required=False,
        help_text=_("A decision that changes the standard opens a draft of the next version with this change."),
    )
    new_time_limit = forms.DecimalField(label=_("New time limit"), required=False, max_digits=8, decimal_places=2)
    new_time_unit = forms.ChoiceField(label=_("Unit"), choices=[("", "—"), *TimeUnit.choices], required=False)
    open_draft = forms.BooleanField(
        label=_("The decision changes the standard in other ways"),
        required=False,
        help_text=_("Opens the draft of the next version for the process specialist to edit."),
    )

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _people()
        self.fields["change_step"].queryset = pilot.version.steps.order_by("position")
        self.fields["change_step"].label_from_instance = lambda s: f"{s.position}. {s.name}"
        self.initial.setdefault("held_on", timezone.localdate())


class FeedbackForm(forms.ModelForm):
    """A new row of template 3."""

    class Meta:
        model = FeedbackItem
        fields = ["department", "problem", "suggestion", "responsible_department", "due_days"]
        widgets = {"problem": forms.Textarea(attrs={"rows": 2}), "suggestion": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, pilot: Pilot, **kwargs):
        super().__init__(*args, **kwargs)

        taking_part = participant_department_ids(pilot)
        self.fields["department"].queryset = Department.objects.filter(pk__in=taking_part).order_by("code")
        self.fields["responsible_department"].queryset = Department.objects.order_by("code")
        self.initial.setdefault("due_days", 3)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SurveyForm(forms.Form):
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)


class InterviewForm(forms.ModelForm):
    class Meta:
        model = CustomerInterview
        fields = ["customer", "held_on", "satisfaction", "notes"]
        widgets = {
            "held_on": DATE,
            "satisfaction": forms.Select(choices=[(n, n) for n in range(1, 6)]),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_on", timezone.localdate())


class CloseForm(forms.Form):
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 3}))


class SurveyAnswerForm(forms.Form):
    """One field per question: a 1-5 rating (radio buttons) or a comment."""

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(survey.questions.all())
        for question in self.questions:
            if question.kind == "rating":
                self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                    label=question.text,
                    choices=[(n, n) for n in range(1, 6)],
                    coerce=int,
                    widget=forms.RadioSelect(attrs={"class": "rating"}),
                    help_text=_("1 = poor, 5 = very good"),
                )
            else:
                self.fields[f"q{question.pk}"] = forms.CharField(
                    label=question.text, required=False, widget=forms.Textarea(attrs={"rows": 3})
                )

    def answers(self) -> dict[int, object]:
        return {question.pk: self.cleaned_data.get(f"q{question.pk}") for question in self.questions}
