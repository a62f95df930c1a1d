"""Pages of process mapping (template 1): current-state analyses, their export and upload, the
event-log map, the bottleneck export."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from opsflow.exports import Sheet, csv_response, xlsx_response
from opsflow.forms import UploadForm
from opsflow.imports import read_table

from .. import access
from ..constants import MANAGE_PROJECT, VIEW
from ..documents import flowchart
from ..documents.mapping import template1_export, template1_parse
from ..forms import mapping as mapping_forms
from ..models import CurrentStateAnalysis
from ..selectors import mapping as mapping_selectors
from ..services import mapping as mapping_services
from ..services import projects
from .base import CapabilityRequiredMixin, error_messages
from .projects import project_get


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
                    for n in mapping_forms.AsIsStepForm._meta.fields
                }
                for s in analysis.steps.all()
            ]
        form = mapping_forms.AnalysisForm(instance=analysis, project=project)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "steps": mapping_forms.asis_formset(initial=initial),
                "project": project,
                "analysis": analysis,
            },
        )

    def post(self, request, pk, analysis_pk=None):
        project, analysis = self.objects(request, pk, analysis_pk)
        form = mapping_forms.AnalysisForm(request.POST, instance=analysis, project=project)
        steps = mapping_forms.asis_formset(data=request.POST)
        if form.is_valid() and steps.is_valid():
            values = dict(form.cleaned_data)
            try:
                mapping_services.analysis_save(
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
        rows = [(a, mapping_selectors.flow_text(list(a.steps.all())), asis_chart(a)) for a in analyses]
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
                    mapping_services.analysis_save(project=project, user=request.user, steps=steps, **row)
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
            context.update(result=mapping_selectors.discover_runs(process=process), chosen=process)
        return render(request, self.template_name, context)

    def post(self, request, pk):
        project = project_get(request.user, pk)
        form = UploadForm(request.POST, request.FILES, extensions=(".csv",), max_bytes=200 * 1024 * 1024)
        result = None
        if form.is_valid():
            result = mapping_selectors.discover(form.cleaned_data["file"].file)
        status = 200 if result is not None and result.events else 400
        return render(request, self.template_name, {"project": project, "form": form, "result": result}, status=status)
