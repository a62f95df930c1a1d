from django.urls import path

from ..views import dashboards, evaluation, indicators

app_name = "metrics"

urlpatterns = [
    path("", dashboards.DashboardView.as_view(), name="dashboard"),
    path("process/", dashboards.ProcessDashboardView.as_view(), name="process-dashboard"),
    path("pilot/", dashboards.PilotDashboardView.as_view(), name="pilot-dashboard"),
    path("charts/<slug:dashboard>/<slug:chart>.<str:fmt>", dashboards.ChartExportView.as_view(), name="chart-export"),
    path("evaluations/", evaluation.EvaluationListView.as_view(), name="evaluation-list"),
    path("evaluations/new/", evaluation.EvaluationFormView.as_view(), name="evaluation-create"),
    path("evaluations/<int:pk>/", evaluation.EvaluationDetailView.as_view(), name="evaluation-detail"),
    path("evaluations/<int:pk>/edit/", evaluation.EvaluationFormView.as_view(), name="evaluation-edit"),
    path("evaluations/<int:pk>/export.<str:fmt>", evaluation.EvaluationExportView.as_view(), name="evaluation-export"),
    path("evaluations/<int:pk>/<slug:action>/", evaluation.EvaluationActionView.as_view(), name="evaluation-action"),
    path(
        "evaluations/<int:pk>/rows/<int:row>/<slug:action>/",
        evaluation.EvaluationActionView.as_view(),
        name="evaluation-row-action",
    ),
    path("indicators/", indicators.IndicatorListView.as_view(), name="indicator-list"),
    path("measurements/", indicators.MeasurementView.as_view(), name="measurements"),
    path("measurements/import/", indicators.MeasurementImportView.as_view(), name="measurement-import"),
]
