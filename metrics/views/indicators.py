"""Pages of indicators: the catalogue, measurements by hand and imported from a file."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from opsflow.forms import UploadForm
from opsflow.imports import read_table
from processes import access
from processes.constants import MANAGE_PROJECT, VIEW
from processes.views.base import CapabilityRequiredMixin, error_messages

from .. import selectors, services
from ..forms.indicators import MeasurementForm
from ..imports import indicators as imports
from ..models import Indicator


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


class MeasurementImportView(CapabilityRequiredMixin, View):
    """Baseline data from CSV/XLSX: upload, see every row checked, then confirm; a bad file stores nothing.
    Only for the roles that write measurements (``access.can_write_measurements``), checked at both steps."""

    capability = MANAGE_PROJECT
    template_name = "metrics/measurement_import.html"

    def get(self, request):
        return render(request, self.template_name, {"form": UploadForm()})

    def post(self, request):
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
