"""Dashboard pages and the export of one chart's numbers."""

import re
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from opsflow.exports import Sheet, csv_response, xlsx_response
from processes import access
from processes.constants import VIEW, VIEW_DASHBOARDS
from processes.views.base import CapabilityRequiredMixin

from .. import selectors
from ..selectors import dashboards

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
        if self.dashboard not in dashboards.DASHBOARDS:  # its app is not installed
            raise Http404
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
            data = {"charts": [dashboards.effect_chart(selectors.effect_rows(evaluation))], "evaluation": evaluation}
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
