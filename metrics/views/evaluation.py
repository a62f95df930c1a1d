import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from opsflow.exports import Sheet, csv_response, xlsx_response
from processes import access
from processes.constants import APPROVE_STANDARD, MANAGE_PROJECT, VIEW, VIEW_DASHBOARDS
from processes.views.base import CapabilityRequiredMixin, error_messages

from . import dashboards, selectors, services
from .forms import EvaluationForm, EvaluationRowFormSet, MeasurementForm, OverrideForm
from .models import EvaluationRow, Indicator


def effect_rows(evaluation):
    """The template 4 table as rows of display values (shared by the page and the exports)."""
    rows = []
    for row in evaluation.rows.all():
        change = row.change_rate * 100 if row.change_rate is not None else None
        arrow = "↓" if change is not None and change < 0 else ("↑" if change is not None and change > 0 else "")
        rows.append(
            {
                "row": row,
                "indicator": row.indicator,
                "before": row.before,
                "after": row.after,
                "change": change,
                "change_text": f"{arrow} {abs(change):.2f}%".strip() if change is not None else "—",
                "target_text": target_text(row),
                "verdict": row.get_verdict_display(),
                "reason": services.reason_text(row.verdict_reason, row.p_value),
                "final": row.get_override_display() if row.override else row.get_verdict_display(),
            }
        )
    return rows


def target_text(row) -> str:
    if row.target_value is None:
        return "—"
    value = f"{row.target_value.normalize():f}"
    if row.target_kind == "relative":
        return f"{value}%"
    sign = "≤" if row.indicator.direction == "lower" else "≥"
    return f"{sign} {value} {row.indicator.unit}".strip()


def _num(value):
    return f"{value.normalize():f}" if value is not None else ""


class EvaluationListView(CapabilityRequiredMixin, TemplateView):
    template_name = "metrics/evaluation_list.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["evaluations"] = selectors.evaluation_list(user=self.request.user)
        context["can_create"] = access.can(self.request.user, MANAGE_PROJECT, any_department=True)
        return context


class EvaluationFormView(CapabilityRequiredMixin, View):
    """The template 4 form: periods, and the indicators with their targets."""

    capability = MANAGE_PROJECT
    template_name = "metrics/evaluation_form.html"

    def get_evaluation(self):
        if "pk" not in self.kwargs:
            return None
        evaluation = selectors.evaluation_get(user=self.request.user, pk=self.kwargs["pk"])
        if not access.can(self.request.user, MANAGE_PROJECT, evaluation.process.department_id):
            raise PermissionDenied
        return evaluation

    def get(self, request, pk=None):
        evaluation = self.get_evaluation()
        initial = None
        if evaluation is not None:
            initial = [
                {"indicator": r.indicator_id, "target_kind": r.target_kind, "target_value": r.target_value}
                for r in evaluation.rows.all()
            ]
        form = EvaluationForm(instance=evaluation, user=request.user)
        rows = EvaluationRowFormSet(prefix="rows", initial=initial)
        return render(request, self.template_name, {"form": form, "rows": rows, "evaluation": evaluation})

    def post(self, request, pk=None):
        evaluation = self.get_evaluation()
        form = EvaluationForm(request.POST, instance=evaluation, user=request.user)
        rows = EvaluationRowFormSet(request.POST, prefix="rows")
        if form.is_valid() and rows.is_valid():
            row_data = [
                {k: f.cleaned_data.get(k) for k in ("indicator", "target_kind", "target_value")}
                for f in rows.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            fields = {k: form.cleaned_data[k] for k in form.fields}
            try:
                if evaluation is None:
                    evaluation = services.evaluation_create(user=request.user, rows=row_data, **fields)
                else:
                    services.evaluation_update(evaluation=evaluation, user=request.user, rows=row_data, **fields)
            except ValidationError as exc:
                form.add_error(None, error_messages(exc))
            except PermissionDenied as exc:
                form.add_error("process", str(exc))
            else:
                messages.success(request, _("Evaluation saved and computed."))
                return redirect("metrics:evaluation-detail", pk=evaluation.pk)
        context = {"form": form, "rows": rows, "evaluation": evaluation}
        return render(request, self.template_name, context, status=400)


class EvaluationDetailView(CapabilityRequiredMixin, TemplateView):
    template_name = "metrics/evaluation_detail.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        evaluation = selectors.evaluation_get(user=self.request.user, pk=self.kwargs["pk"])
        rows = effect_rows(evaluation)
        department_id = evaluation.process.department_id
        context.update(
            evaluation=evaluation,
            rows=rows,
            chart=with_exports("evaluation", [dashboards.effect_chart(rows)], {"evaluation": evaluation.pk})[0],
            can_edit=access.can(self.request.user, MANAGE_PROJECT, department_id),
            can_override=access.can(self.request.user, APPROVE_STANDARD, department_id),
            override_form=OverrideForm(),
        )
        return context


class EvaluationActionView(CapabilityRequiredMixin, View):
    capability = VIEW

    def post(self, request, pk, action, row=None):
        evaluation = selectors.evaluation_get(user=request.user, pk=pk)
        try:
            if action == "recompute":
                if not access.can(request.user, MANAGE_PROJECT, evaluation.process.department_id):
                    raise PermissionDenied
                services.evaluation_compute(evaluation=evaluation)
                messages.success(request, _("Recomputed from the latest data."))
            elif action == "override":
                target = get_object_or_404(EvaluationRow, pk=row, evaluation=evaluation)
                form = OverrideForm(request.POST)
                if form.is_valid():
                    services.evaluation_row_override(
                        row=target,
                        user=request.user,
                        verdict=form.cleaned_data["verdict"],
                        reason=form.cleaned_data["reason"],
                    )
                    messages.success(request, _("Verdict saved."))
            else:
                raise Http404
        except ValidationError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        return redirect("metrics:evaluation-detail", pk=evaluation.pk)


class EvaluationExportView(CapabilityRequiredMixin, View):
    capability = VIEW

    def get(self, request, pk, fmt):
        evaluation = selectors.evaluation_get(user=request.user, pk=pk)
        header = [
            _("Indicator"),
            _("Before"),
            _("After"),
            _("Change"),
            _("Target"),
            _("Verdict"),
            _("Manager's verdict"),
        ]
        rows = [
            [
                f"{r['indicator'].name} ({r['indicator'].unit})",
                _num(r["before"]),
                _num(r["after"]),
                r["change_text"],
                r["target_text"],
                r["verdict"],
                r["row"].get_override_display() if r["row"].override else "",
            ]
            for r in effect_rows(evaluation)
        ]
        filename = f"template4-evaluation-{evaluation.pk}.{fmt}"
        if fmt == "csv":
            return csv_response(filename, header, rows)
        if fmt == "xlsx":
            return xlsx_response(filename, [Sheet(_("Effect evaluation"), header, rows)])
        raise Http404


class IndicatorListView(CapabilityRequiredMixin, TemplateView):
    template_name = "metrics/indicator_list.html"
    capability = VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["indicators"] = Indicator.objects.all()
        return context


class MeasurementView(CapabilityRequiredMixin, View):
    """Everyone in scope reads the measurements; the roles of ``access.can_write_measurements`` enter them."""

    capability = VIEW
    template_name = "metrics/measurements.html"

    def render_page(self, form, status=200):
        measurements = selectors.measurement_list(user=self.request.user)[:200]
        context = {"form": form, "measurements": measurements, "can_write": form is not None}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        writer = access.can_write_measurements(request.user, any_department=True)
        return self.render_page(MeasurementForm(user=request.user) if writer else None)

    def post(self, request):
        if not access.can_write_measurements(request.user, any_department=True):
            raise PermissionDenied
        form = MeasurementForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.measurement_upsert(
                    user=request.user,
                    indicator=data.pop("indicator"),
                    process=data.pop("process"),
                    source="manual",
                    **data,
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, error_messages(exc) if isinstance(exc, ValidationError) else str(exc))
            else:
                messages.success(request, _("Measurement saved."))
                return redirect("metrics:measurements")
        return self.render_page(form, status=400)


# Dashboards
# ------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")


def with_exports(dashboard: str, charts: list[dict], query: dict) -> list[dict]:
    """Give each chart the links that download its numbers (the same selection) as CSV and XLSX."""
    suffix = f"?{urlencode(query)}" if query else ""
    for chart in charts:
        chart["exports"] = [
            (
                fmt.upper(),
                reverse("metrics:chart-export", kwargs={"dashboard": dashboard, "chart": chart["key"], "fmt": fmt})
                + suffix,
            )
            for fmt in EXPORT_FORMATS
        ]
    return charts


class DashboardPageView(CapabilityRequiredMixin, TemplateView):
    """A dashboard page: its filters, summary figures and charts (``dashboards.DASHBOARDS``)."""

    capability = VIEW_DASHBOARDS
    dashboard = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = dashboards.DASHBOARDS[self.dashboard](user=self.request.user, params=self.request.GET)
        with_exports(self.dashboard, data["charts"], data["query"])
        context.update(data, periods=dashboards.PERIODS)
        return context


class DashboardView(DashboardPageView):
    template_name = "metrics/dashboard.html"
    dashboard = "overview"


class ProcessDashboardView(DashboardPageView):
    template_name = "metrics/process_dashboard.html"
    dashboard = "process"


class PilotDashboardView(DashboardPageView):
    template_name = "metrics/pilot_dashboard.html"
    dashboard = "pilot"


def _selection(dashboard: str, data: dict) -> list[list]:
    """What the numbers were selected by, for the workbook's second sheet."""
    rows = [[_("Exported"), timezone.localtime().strftime("%Y-%m-%d %H:%M")]]
    f = data.get("filters")
    if f is not None:
        rows.append([_("Period"), f"{f.start.isoformat()} – {f.end.isoformat()}"])
        department = f.departments.filter(pk=f.department).first() if f.department else None
        rows.append([_("Department"), department.name if department else _("all")])
    if data.get("process") is not None:
        rows.append([_("Process"), data["process"].name])
    elif f is not None:
        process = f.processes.filter(pk=f.process).first() if f.process else None
        rows.append([_("Process"), process.name if process else _("all")])
    if data.get("pilot") is not None:
        rows.append([_("Pilot"), data["pilot"].name])
    if data.get("evaluation") is not None:
        rows.append([_("Effect evaluation"), data["evaluation"].title])
    return rows


class ChartExportView(CapabilityRequiredMixin, View):
    """One chart's numbers, exactly as its table shows them, as CSV or XLSX (formula cells
    neutralised by ``opsflow.exports``). The query string selects as on the dashboard page."""

    capability = VIEW

    def get(self, request, dashboard, chart, fmt):
        if fmt not in EXPORT_FORMATS:
            raise Http404
        if dashboard == "evaluation":  # the effect table's chart, beside the table (VIEW suffices there)
            pk = request.GET.get("evaluation", "")
            evaluation = selectors.evaluation_get(user=request.user, pk=int(pk) if pk.isdigit() else 0)
            data = {"charts": [dashboards.effect_chart(effect_rows(evaluation))], "evaluation": evaluation}
        elif dashboard in dashboards.DASHBOARDS:
            if not access.can(request.user, VIEW_DASHBOARDS, any_department=True):
                raise PermissionDenied
            data = dashboards.DASHBOARDS[dashboard](user=request.user, params=request.GET, only=chart)
        else:
            raise Http404
        found = next((c for c in data["charts"] if c["key"] == chart), None)
        if found is None:
            raise Http404
        filename = f"{dashboard}-{chart}-{timezone.localdate().isoformat()}.{fmt}"
        if fmt == "csv":
            return csv_response(filename, found["header"], found["rows"])
        title = re.sub(r"[\\/*?:\[\]]", " ", found["title"]).strip()  # characters a sheet name may not hold
        sheets = [
            Sheet(title, found["header"], found["rows"]),
            Sheet(_("Selection"), [_("Filter"), _("Value")], _selection(dashboard, data)),
        ]
        return xlsx_response(filename, sheets)


class MeasurementImportView(CapabilityRequiredMixin, View):
    """Baseline data from CSV/XLSX: upload, see every row checked, then confirm; a bad file stores nothing.
    Only for the roles that write measurements (``access.can_write_measurements``), checked at both steps."""

    capability = MANAGE_PROJECT
    template_name = "metrics/measurement_import.html"

    def get(self, request):
        from opsflow.forms import UploadForm

        return render(request, self.template_name, {"form": UploadForm()})

    def post(self, request):
        from opsflow.forms import UploadForm
        from opsflow.imports import read_table

        from . import imports

        if "token" in request.POST:
            rows = imports.take(request.user, request.POST["token"])
            if rows is None:
                messages.error(request, _("The preview expired; upload the file again."))
                return redirect("metrics:measurement-import")
            try:
                count = services.measurements_import(user=request.user, rows=rows)
            except (ValidationError, PermissionDenied) as exc:
                for message in error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]:
                    messages.error(request, message)
                return redirect("metrics:measurement-import")
            messages.success(request, _("%(n)s measurement(s) imported.") % {"n": count})
            return redirect("metrics:measurements")
        form = UploadForm(request.POST, request.FILES)
        context = {"form": form}
        if form.is_valid():
            try:
                header, table = read_table(form.cleaned_data["file"])
                rows, errors = imports.parse(request.user, header, table)
            except ValidationError as exc:
                rows, errors = [], error_messages(exc)
            if not rows and not errors:
                errors = [_("The file has no rows.")]
            context.update(
                rows=rows, errors=errors, token=imports.stash(request.user, rows) if rows and not errors else ""
            )
            return render(request, self.template_name, context, status=400 if errors else 200)
        return render(request, self.template_name, context, status=400)
