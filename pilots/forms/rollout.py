from django import forms
from django.utils.translation import gettext_lazy as _

from processes import access
from processes.models import Department, ImprovementProject, StandardVersion, User
from processes.references import ScopedReferencesForm

from ..choices import Tier
from ..models import Milestone, RolloutPlan, TrainingSession
from ..services.rollout import ROLLABLE, plan_date_errors

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _people():
    return User.objects.filter(is_active=True).select_related("department").order_by("department__name_en", "username")


def _person_label(user) -> str:
    return f"{user.display_name} · {user.department}" if user.department_id else user.display_name


class PlanForm(ScopedReferencesForm, forms.ModelForm):
    class Meta:
        model = RolloutPlan
        fields = ["name_en", "name_zh", "version", "project", "owner", "starts_on", "daily_until", "ends_on", "status"]
        widgets = {"starts_on": DATE, "daily_until": DATE, "ends_on": DATE}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        versions = StandardVersion.objects.filter(status__in=ROLLABLE).select_related("process")
        self.fields["version"].queryset = access.scope_queryset(user, versions, field="process__department").order_by(
            "process__name_en", "-number"
        )
        self.fields["version"].label_from_instance = lambda v: (
            _("%(process)s, version %(number)s (%(status)s)")
            % {
                "process": v.process,
                "number": v.number,
                "status": v.get_status_display(),
            }
        )
        self.fields["project"].queryset = access.scope_queryset(user, ImprovementProject.objects.all())
        self.fields["owner"].queryset = _people()
        self.fields["owner"].label_from_instance = _person_label
        if self.instance.pk is None:
            del self.fields["status"]
            self.fields["owner"].initial = user.pk
        self.narrow_references(user)

    def clean(self):
        data = super().clean()
        dates = {name: data.get(name) for name in ("starts_on", "daily_until", "ends_on")}
        for name, errors in plan_date_errors(**dates).items():
            self.add_error(name, errors)
        return data


class MilestoneForm(ScopedReferencesForm, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title_en", "title_zh", "owner", "due_on", "switches_department", "note"]
        widgets = {"due_on": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()
        self.fields["owner"].label_from_instance = _person_label
        self.fields["switches_department"].queryset = Department.objects.order_by("name_en")
        self.narrow_references(user)


class SessionForm(ScopedReferencesForm, forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = ["tier", "title_en", "title_zh", "starts_at", "location", "trainer", "material"]
        widgets = {"starts_at": DATETIME, "material": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = _people()
        self.fields["trainer"].label_from_instance = _person_label
        self.narrow_references(user)


class InviteForm(ScopedReferencesForm, forms.Form):
    """Invite by department and tier in bulk, and/or by name."""

    department = forms.ModelChoiceField(
        label=_("Everyone of this department"), queryset=Department.objects.order_by("name_en"), required=False
    )
    tier = forms.ChoiceField(
        label=_("in the tier"),
        choices=Tier.choices,
        required=False,
        help_text=_(
            "Management: managers and the operations director; execution: ops staff; support: process "
            "specialists and IT support."
        ),
    )
    people = forms.ModelMultipleChoiceField(
        label=_("And these people"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, session, user, **kwargs):
        super().__init__(*args, **kwargs)
        invited = session.attendance.values("user_id")
        self.fields["people"].queryset = _people().exclude(pk__in=invited)
        self.fields["people"].label_from_instance = _person_label
        self.fields["tier"].initial = session.tier
        self.narrow_references(user)

    def clean(self):
        data = super().clean()
        if not data.get("department") and not data.get("people"):
            raise forms.ValidationError(_("Choose a department, or one or more people."))
        return data


class CompleteForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewCloseForm(forms.Form):
    conclusions = forms.CharField(
        label=_("Conclusions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the figures say, and what happens next."),
    )
