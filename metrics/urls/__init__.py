from django.urls import path

from . import views

app_name = "metrics"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("process/", views.ProcessDashboardView.as_view(), name="process-dashboard"),
    path("pilot/", views.PilotDashboardView.as_view(), name="pilot-dashboard"),
    path("charts/<slug:dashboard>/<slug:chart>.<str:fmt>", views.ChartExportView.as_view(), name="chart-export"),
    path("evaluations/", views.EvaluationListView.as_view(), name="evaluation-list"),
    path("evaluations/new/", views.EvaluationFormView.as_view(), name="evaluation-create"),
    path("evaluations/<int:pk>/", views.EvaluationDetailView.as_view(), name="evaluation-detail"),
    path("evaluations/<int:pk>/edit/", views.EvaluationFormView.as_view(), name="evaluation-edit"),
    path("evaluations/<int:pk>/export.<str:fmt>", views.EvaluationExportView.as_view(), name="evaluation-export"),
    path("evaluations/<int:pk>/<slug:action>/", views.EvaluationActionView.as_view(), name="evaluation-action"),
    path(
        "evaluations/<int:pk>/rows/<int:row>/<slug:action>/",
        views.EvaluationActionView.as_view(),
        name="evaluation-row-action",
    ),
    path("indicators/", views.IndicatorListView.as_view(), name="indicator-list"),
    path("measurements/", views.MeasurementView.as_view(), name="measurements"),
    path("measurements/import/", views.MeasurementImportView.as_view(), name="measurement-import"),
]
