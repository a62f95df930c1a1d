from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from opsflow.forms import UploadForm

from .. import access, flowchart, forms_projects, mapping, selectors
from ..choices import ProjectPhase, Role
from ..constants import MANAGE_PROJECT, VIEW
from ..documents import template1_export, template1_parse
from ..models import Bottleneck, CurrentStateAnalysis, ImprovementProject
from ..services import projects, work
from .base import CapabilityRequiredMixin, error_messages


def project_get(user, pk):
    qs = ImprovementProject.objects.select_related("department", "lead", "created_by").prefetch_related("processes")
    return get_object_or_404(access.scope_queryset(user, qs), pk=pk)


def asis_chart(analysis) -> str:
    steps = list(analysis.steps.all())
    timed = [s.hours for s in steps if s.hours]
    slowest = max(timed) if timed else None
    boxes = []
    for step in steps:
        detail = [p for p in (str(step.department or ""), step.role) if p]
        if step.hours is not None:
            detail.append(_("%(n)s h") % {"n": f"{step.hours.normalize():f}"})
        elif not step.time_limit_known:
            detail.append(_("no time limit"))
        boxes.append(
            flowchart.Box(step.name, [" · ".join(detail)], highlight=slowest is not None and step.hours == slowest)
        )
    return flowchart.render(boxes, start=_("Trigger"), end=_("Output"), title=str(analysis.process))


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
            {"form": forms_projects.ProjectForm(instance=project, user=request.user), "project": project},
        )

    def post(self, request, pk=None):
        project = project_get(request.user, pk) if pk else None
        form = forms_projects.ProjectForm(request.POST, instance=project, user=request.user)
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
            can_submit=current is not None and current.kind == "phase" and (user.pk == project.lead_id or can_manage),
            can_decide=current is not None
            and current.kind == "gate"
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
                (b, forms_projects.BottleneckForm(instance=b, project=project, prefix=f"b{b.pk}"))
                for b in project.bottlenecks.select_related("process").prefetch_related("problems")
            ],
            goal_form=forms_projects.GoalForm(project=project),
            problem_form=forms_projects.ProblemForm(project=project),
            note_form=forms_projects.NoteForm(initial={"date": timezone.localdate()}),
            member_form=forms_projects.TeamMemberForm(user=user),
            bottleneck_form=forms_projects.BottleneckForm(project=project),
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
            "goal": (forms_projects.GoalForm, projects.goal_save, {"project": project}),
            "problem": (forms_projects.ProblemForm, projects.problem_save, {"project": project}),
            "note": (forms_projects.NoteForm, projects.note_save, {}),
            "bottleneck": (forms_projects.BottleneckForm, projects.bottleneck_save, {"project": project}),
        }
        try:
            if action == "submit":
                projects.phase_submit(project=project, user=user, note=data.get("note", ""))
                messages.success(request, _("The phase waits for its gate now."))
            elif action in ("approve", "reject"):
                projects.gate_decide(project=project, user=user, approve=action == "approve", note=data.get("note", ""))
                messages.success(request, _("Gate decided."))
            elif action == "member":
                form = forms_projects.TeamMemberForm(data, user=request.user)
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
                made = projects.bottleneck_suggest(project=project, user=user)
                messages.success(request, _("%(n)s new suggestion(s) from the data.") % {"n": len(made)})
            elif action == "bottleneck-edit":
                row = get_object_or_404(Bottleneck, pk=obj, project=project)
                form = forms_projects.BottleneckForm(data, instance=row, project=project, prefix=f"b{row.pk}")
                if not form.is_valid():
                    raise ValidationError([" ".join(e) for e in form.errors.values()])
                values = dict(form.cleaned_data)
                problems = values.pop("problems")
                projects.bottleneck_save(project=project, user=user, bottleneck=row, problems=problems, **values)
                messages.success(request, _("Saved."))
            elif action in ("accept", "reject-row"):
                row = get_object_or_404(Bottleneck, pk=obj, project=project)
                projects.bottleneck_decide(bottleneck=row, user=user, accept=action == "accept")
                messages.success(request, _("Saved."))
            else:
                raise Http404
        except work.Conflict as exc:
            messages.error(request, str(exc))
        except (ValidationError, PermissionDenied) as exc:
            for message in error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]:
                messages.error(request, message)
        return redirect("projects:detail", pk=project.pk)


class AnalysisFormView(CapabilityRequiredMixin, View):
    """Template 1 for one process: owner, the as-is steps with their times, pain points and risk."""

    capability = MANAGE_PROJECT
    template_name = "processes/projects/analysis_form.html"

    def objects(self, request, pk, analysis_pk):
        project = project_get(request.user, pk)
        if not access.can(request.user, MANAGE_PROJECT, project.department_id):
            raise PermissionDenied
        analysis = get_object_or_404(CurrentStateAnalysis, pk=analysis_pk, project=project) if analysis_pk else None
        return project, analysis

    def get(self, request, pk, analysis_pk=None):
        project, analysis = self.objects(request, pk, analysis_pk)
        initial = None
        if analysis is not None:
            initial = [
                {
                    n: (getattr(s, f"{n}_id") if n == "department" else getattr(s, n))
                    for n in forms_projects.AsIsStepForm._meta.fields
                }
                for s in analysis.steps.all()
            ]
        form = forms_projects.AnalysisForm(instance=analysis, project=project)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "steps": forms_projects.asis_formset(initial=initial),
                "project": project,
                "analysis": analysis,
            },
        )

    def post(self, request, pk, analysis_pk=None):
        project, analysis = self.objects(request, pk, analysis_pk)
        form = forms_projects.AnalysisForm(request.POST, instance=analysis, project=project)
        steps = forms_projects.asis_formset(data=request.POST)
        if form.is_valid() and steps.is_valid():
            values = dict(form.cleaned_data)
            try:
                projects.analysis_save(
                    project=project, user=request.user, analysis=analysis, steps=steps.ordered_rows(), **values
                )
            except ValidationError as exc:
                form.add_error(None, error_messages(exc))
            else:
                messages.success(request, _("Current-state analysis saved."))
                return redirect("projects:template1", pk=project.pk)
        context = {"form": form, "steps": steps, "project": project, "analysis": analysis}
        return render(request, self.template_name, context, status=400)


class BottleneckExportView(CapabilityRequiredMixin, View):
    capability = VIEW

    def get(self, request, pk, fmt):
        from opsflow.exports import Sheet, csv_response, xlsx_response

        project = project_get(request.user, pk)
        header = [
            _("Type"),
            _("Process"),
            _("Step concerned"),
            _("Evidence"),
            _("Problems"),
            _("Proposed fix"),
            _("State"),
        ]
        rows = [
            [
                b.get_kind_display(),
                str(b.process),
                b.step,
                b.evidence,
                "; ".join(str(p) for p in b.problems.all()),
                b.proposed_fix,
                b.get_state_display(),
            ]
            for b in project.bottlenecks.select_related("process").prefetch_related("problems")
        ]
        filename = f"bottlenecks-project-{project.pk}"
        if fmt == "csv":
            return csv_response(f"{filename}.csv", header, rows)
        if fmt == "xlsx":
            return xlsx_response(f"{filename}.xlsx", [Sheet(_("Bottleneck analysis table"), header, rows)])
        raise Http404


class Template1View(CapabilityRequiredMixin, View):
    """The template 1 table of a project with each process's as-is flowchart; export and import."""

    capability = VIEW
    template_name = "processes/projects/template1.html"

    def get(self, request, pk, fmt=None):
        project = project_get(request.user, pk)
        analyses = list(project.analyses.select_related("process").prefetch_related("steps__department"))
        if fmt in ("csv", "xlsx"):
            return template1_export(analyses, fmt, f"template1-project-{project.pk}")
        if fmt is not None:
            raise Http404
        return self.render_page(project, analyses, UploadForm(extensions=(".xlsx", ".csv")))

    def render_page(self, project, analyses, upload_form, errors=(), status=200):
        rows = [(a, mapping.flow_text(list(a.steps.all())), asis_chart(a)) for a in analyses]
        can_manage = access.can(self.request.user, MANAGE_PROJECT, project.department_id)
        context = {
            "project": project,
            "rows": rows,
            "upload_form": upload_form,
            "import_errors": errors,
            "can_manage": can_manage,
        }
        return render(self.request, self.template_name, context, status=status)

    def post(self, request, pk, fmt=None):
        """Import template 1 from XLSX/CSV: every row is checked first; any bad row stores nothing."""
        from opsflow.imports import read_table

        project = project_get(request.user, pk)
        if not access.can(request.user, MANAGE_PROJECT, project.department_id):
            raise PermissionDenied
        upload = UploadForm(request.POST, request.FILES, extensions=(".xlsx", ".csv"))
        analyses = list(project.analyses.select_related("process").prefetch_related("steps"))
        if not upload.is_valid():
            return self.render_page(project, analyses, upload, status=400)
        try:
            header, table = read_table(upload.cleaned_data["file"])
            parsed, errors = template1_parse(project, header, table)
        except ValidationError as exc:
            parsed, errors = [], error_messages(exc)
        if errors or not parsed:
            return self.render_page(project, analyses, upload, errors or [_("The file has no rows.")], status=400)
        try:
            with transaction.atomic():  # a row the store still refuses stores nothing, and says why
                for row in parsed:
                    steps = row.pop("steps")
                    projects.analysis_save(project=project, user=request.user, steps=steps, **row)
        except ValidationError as exc:
            return self.render_page(project, analyses, upload, error_messages(exc), status=400)
        messages.success(request, _("%(n)s row(s) imported.") % {"n": len(parsed)})
        return redirect("projects:template1", pk=project.pk)


class EventLogView(CapabilityRequiredMixin, View):
    """Discover an as-is map from an event log (case, activity, start, end, resource or role)."""

    capability = VIEW
    template_name = "processes/projects/event_log.html"

    def get(self, request, pk):
        project = project_get(request.user, pk)
        context = {"project": project, "form": UploadForm(extensions=(".csv",))}
        # or the runs recorded for one of the project's processes (in OpsFlow and reported by other systems)
        chosen = request.GET.get("process", "")
        own = projects.project_processes(project)
        process = own.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        if process is not None:
            context.update(result=mapping.discover_runs(process=process), chosen=process)
        return render(request, self.template_name, context)

    def post(self, request, pk):
        project = project_get(request.user, pk)
        form = UploadForm(request.POST, request.FILES, extensions=(".csv",), max_bytes=200 * 1024 * 1024)
        result = None
        if form.is_valid():
            result = mapping.discover(form.cleaned_data["file"].file)
        status = 200 if result is not None and result.events else 400
        return render(request, self.template_name, {"project": project, "form": form, "result": result}, status=status)
