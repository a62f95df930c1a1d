from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from opsflow.exports import Sheet, csv_response, xlsx_response
from processes import access
from processes.constants import APPROVE_STANDARD, MANAGE_PROJECT, VIEW
from processes.views.base import CapabilityRequiredMixin, error_messages

from .. import selectors, services
from ..forms.evaluation import EvaluationForm, EvaluationRowFormSet, OverrideForm
from ..models import EvaluationRow
from ..selectors import dashboards
from .dashboards import with_exports


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
        rows = selectors.effect_rows(evaluation)
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
            for r in selectors.effect_rows(evaluation)
        ]
        filename = f"template4-evaluation-{evaluation.pk}.{fmt}"
        if fmt == "csv":
            return csv_response(filename, header, rows)
        if fmt == "xlsx":
            return xlsx_response(filename, [Sheet(_("Effect evaluation"), header, rows)])
        raise Http404


# Dashboards
# ------------------------------------------------------------------------------


def _num(value):
    return f"{value.normalize():f}" if value is not None else ""
