"""The case library: search by process, tag and text (both languages); capture and edit lessons."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from .. import access, selectors
from ..choices import CaseSource
from ..constants import MANAGE_PROJECT, VIEW
from ..models import Case, CaseTag, Department, ImprovementProject, Process
from ..services import cases
from .base import CapabilityRequiredMixin


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Text"), required=False)
    process = forms.ModelChoiceField(label=gettext_lazy("Process"), queryset=Process.objects.none(), required=False)
    tag = forms.CharField(label=gettext_lazy("Tag"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["process"].queryset = access.scope_queryset(user, Process.objects.order_by("code"))


class CaseForm(forms.ModelForm):
    tag_text = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        help_text=gettext_lazy("Separated by commas, e.g. time limit, hand-off"),
    )

    class Meta:
        model = Case
        fields = ["title_en", "title_zh", "lesson_en", "lesson_zh", "department", "process", "project", "source"]
        widgets = {"lesson_en": forms.Textarea(attrs={"rows": 5}), "lesson_zh": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope = access.department_scope(user)
        departments = Department.objects.order_by("code")
        self.fields["department"].queryset = departments if scope is None else departments.filter(pk__in=scope)
        self.fields["process"].queryset = access.scope_queryset(user, Process.objects.order_by("code"))
        self.fields["project"].queryset = access.scope_queryset(user, ImprovementProject.objects.all())
        if self.instance.pk:
            self.initial["tag_text"] = ", ".join(t.name for t in self.instance.tags.all())


def case_get(user, pk):
    return get_object_or_404(access.scope_queryset(user, Case.objects.select_related("process", "project")), pk=pk)


class CaseListView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/cases/case_list.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = CaseSearchForm(self.request.GET or None, user=user)
        filters = form.cleaned_data if form.is_valid() else {}
        context.update(
            form=form,
            cases=selectors.case_search(
                user=user,
                text=filters.get("q") or "",
                process=filters.get("process"),
                tag=filters.get("tag") or "",
            )[:200],
            tags=CaseTag.objects.filter(cases__in=access.scope_queryset(user, Case.objects.all())).distinct(),
            can_create=access.can(user, MANAGE_PROJECT, any_department=True),
        )
        return context


class CaseDetailView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/cases/case_detail.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = case_get(self.request.user, self.kwargs["pk"])
        context.update(case=case, can_edit=access.can(self.request.user, MANAGE_PROJECT, case.department_id))
        return context


class CaseFormView(CapabilityRequiredMixin, View):
    """Capture a lesson (``?source=review&url=...&project=..`` prefill it from a review or pilot)."""

    capability = MANAGE_PROJECT
    template_name = "processes/cases/case_form.html"

    def get(self, request, pk=None):
        case = case_get(request.user, pk) if pk else None
        initial = {}
        if case is None:
            source = request.GET.get("source", "")
            if source in CaseSource.values:
                initial["source"] = source
            for name in ("project", "process", "department"):
                if request.GET.get(name, "").isdigit():
                    initial[name] = int(request.GET[name])
            initial.setdefault("department", request.user.department_id)
        form = CaseForm(instance=case, initial=initial, user=request.user)
        return render(request, self.template_name, {"form": form, "case": case, "url": request.GET.get("url", "")})

    def post(self, request, pk=None):
        case = case_get(request.user, pk) if pk else None
        form = CaseForm(request.POST, instance=case, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            tags = cases.parse_tags(data.pop("tag_text"))
            url = request.POST.get("url", "")
            if url.startswith("/"):
                data["source_url"] = url
            try:
                case = cases.case_save(user=request.user, case=case, tags=tags, **data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except PermissionDenied as exc:
                form.add_error("department", str(exc))
            else:
                messages.success(request, _("The lesson is in the case library."))
                return redirect("cases:detail", pk=case.pk)
        context = {"form": form, "case": case, "url": request.POST.get("url", "")}
        return render(request, self.template_name, context, status=400)
