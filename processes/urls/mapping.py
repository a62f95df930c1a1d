"""Pages of process mapping (template 1), inside a project: they share the ``projects`` namespace
and its ``/projects/<pk>/`` prefix (``urls/projects.py`` includes them before its catch-all actions)."""

from django.urls import path

from .. import views

urlpatterns = [
    path("<int:pk>/template1/", views.Template1View.as_view(), name="template1"),
    path("<int:pk>/template1.<str:fmt>", views.Template1View.as_view(), name="template1-export"),
    path("<int:pk>/analyses/new/", views.AnalysisFormView.as_view(), name="analysis-create"),
    path("<int:pk>/analyses/<int:analysis_pk>/", views.AnalysisFormView.as_view(), name="analysis-edit"),
    path("<int:pk>/event-log/", views.EventLogView.as_view(), name="event-log"),
    path("<int:pk>/bottlenecks.<str:fmt>", views.BottleneckExportView.as_view(), name="bottleneck-export"),
]
