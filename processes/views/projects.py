from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from .. import access, selectors
from ..choices import ProjectPhase, Role, WorkKind
from ..constants import MANAGE_PROJECT, VIEW
from ..forms import mapping as mapping_forms
from ..forms import projects as project_forms
from ..models import Bottleneck, ImprovementProject
from ..services import mapping as mapping_services
from ..services import projects, work
from .base import CapabilityRequiredMixin, error_messages


def project_get(user, pk):
    qs = ImprovementProject.objects.select_related("department", "lead", "created_by").prefetch_related("processes")
    return get_object_or_404(access.scope_queryset(user, qs), pk=pk)


class ProjectListView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/projects/project_list.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        qs = ImprovementProject.objects.select_related("department", "lead").order_by("-created_at")
        context["projects"] = access.scope_queryset(self.request.user, qs)
        context["can_create"] = access.can(self.request.user, MANAGE_PROJECT, any_department=True)
        return context


class ProjectFormView(CapabilityRequiredMixin, View):
    capability = MANAGE_PROJECT
    template_name = "processes/projects/project_form.html"

    def get(self, request, pk=None):
        project = project_get(request.user, pk) if pk else None
        return render(
            request,
            self.template_name,
            {"form": project_forms.ProjectForm(instance=project, user=request.user), "project": project},
        )

    def post(self, request, pk=None):
        project = project_get(request.user, pk) if pk else None
        form = project_forms.ProjectForm(request.POST, instance=project, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            processes = data.pop("processes")
            try:
                if project is None:
                    project = projects.project_create(user=request.user, processes=processes, **data)
                else:
                    projects.project_update(project=project, user=request.user, processes=processes, **data)
            except ValidationError as exc:
                form.add_error(None, error_messages(exc))
            except PermissionDenied as exc:
                form.add_error("department", str(exc))
            else:
                messages.success(request, _("Project saved."))
                return redirect("projects:detail", pk=project.pk)
        return render(request, self.template_name, {"form": form, "project": project}, status=400)


class ProjectDetailView(CapabilityRequiredMixin, TemplateView):
    template_name = "processes/projects/project_detail.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        project = project_get(user, self.kwargs["pk"])
        current = projects.open_work(project)
        can_manage = access.can(user, MANAGE_PROJECT, project.department_id)
        phase_index = projects.PHASES.index(project.phase) if project.phase in projects.PHASES else len(projects.PHASES)
        context.update(
            project=project,
            phases=[(i + 1, p, p.label) for i, p in enumerate(projects.PHASES)],
            phase_index=phase_index + 1,
            checklist=projects.phase_checklist(project, project.phase) if project.phase != ProjectPhase.CLOSED else [],
            current=current,
            can_manage=can_manage,
            can_submit=current is not None
            and current.kind == WorkKind.PHASE
            and (user.pk == project.lead_id or can_manage),
            can_decide=current is not None
            and current.kind == WorkKind.GATE
            and user.pk != project.lead_id
            and access.has_role(user, Role.MANAGER, Role.OPERATIONS_DIRECTOR, Role.ADMIN)
            and access.in_scope(user, project.department_id),
            work=project.work_items.select_related("assignee", "completed_by").order_by("id"),
            team=project.team.select_related("user"),
            goals=project.goals.select_related("indicator", "process"),
            problems=project.problems.select_related("process"),
            notes=project.notes.select_related("created_by"),
            analyses=project.analyses.select_related("process").prefetch_related("steps"),
            bottlenecks=[
                (b, mapping_forms.BottleneckForm(instance=b, project=project, prefix=f"b{b.pk}"))
                for b in project.bottlenecks.select_related("process").prefetch_related("problems")
            ],
            goal_form=project_forms.GoalForm(project=project),
            problem_form=project_forms.ProblemForm(project=project),
            note_form=project_forms.NoteForm(initial={"date": timezone.localdate()}),
            member_form=project_forms.TeamMemberForm(user=user),
            bottleneck_form=mapping_forms.BottleneckForm(project=project),
            now=timezone.now(),
            history=selectors.history_for_project(project),
        )
        return context


class ProjectActionView(CapabilityRequiredMixin, View):
    """POST commands on a project: phase and gate decisions, and adding to its lists."""

    capability = VIEW

    def post(self, request, pk, action, obj=None):
        project = project_get(request.user, pk)
        user, data = request.user, request.POST
        forms_by_action = {
            "goal": (project_forms.GoalForm, projects.goal_save, {"project": project}),
            "problem": (project_forms.ProblemForm, projects.problem_save, {"project": project}),
            "note": (project_forms.NoteForm, projects.note_save, {}),
            "bottleneck": (mapping_forms.BottleneckForm, mapping_services.bottleneck_save, {"project": project}),
        }
        try:
            if action == "submit":
                projects.phase_submit(project=project, user=user, note=data.get("note", ""))
                messages.success(request, _("The phase waits for its gate now."))
            elif action in ("approve", "reject"):
                projects.gate_decide(project=project, user=user, approve=action == "approve", note=data.get("note", ""))
                messages.success(request, _("Gate decided."))
            elif action == "member":
                form = project_forms.TeamMemberForm(data, user=request.user)
                if not form.is_valid():
                    raise ValidationError(_("Choose a person and a role."))
                projects.team_member_add(project=project, user=user, **form.cleaned_data)
                messages.success(request, _("Added to the team."))
            elif action in forms_by_action:
                form_class, service, form_kwargs = forms_by_action[action]
                form = form_class(data, **form_kwargs)
                if not form.is_valid():
                    raise ValidationError(
                        [
                            f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
                            for f, e in form.errors.items()
                        ]
                    )
                values = dict(form.cleaned_data)
                if action == "bottleneck":
                    problems = values.pop("problems")
                    service(project=project, user=user, problems=problems, **values)
                else:
                    service(project=project, user=user, **values)
                messages.success(request, _("Saved."))
            elif action == "suggest":
                made = mapping_services.bottleneck_suggest(project=project, user=user)
                messages.success(request, _("%(n)s new suggestion(s) from the data.") % {"n": len(made)})
            elif action == "bottleneck-edit":
                row = get_object_or_404(Bottleneck, pk=obj, project=project)
                form = mapping_forms.BottleneckForm(data, instance=row, project=project, prefix=f"b{row.pk}")
                if not form.is_valid():
                    raise ValidationError([" ".join(e) for e in form.errors.values()])
                values = dict(form.cleaned_data)
                problems = values.pop("problems")
                mapping_services.bottleneck_save(
                    project=project, user=user, bottleneck=row, problems=problems, **values
                )
                messages.success(request, _("Saved."))
            elif action in ("accept", "reject-row"):
                row = get_object_or_404(Bottleneck, pk=obj, project=project)
                mapping_services.bottleneck_decide(bottleneck=row, user=user, accept=action == "accept")
                messages.success(request, _("Saved."))
            else:
                raise Http404
        except work.Conflict as exc:
            messages.error(request, str(exc))
        except (ValidationError, PermissionDenied) as exc:
            for message in error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]:
                messages.error(request, message)
        return redirect("projects:detail", pk=project.pk)
