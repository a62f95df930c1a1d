from django.urls import include, path

from . import views
from .views import cases as case_views

standards = [
    path("", views.ProcessListView.as_view(), name="process-list"),
    path("processes/new/", views.ProcessFormView.as_view(), name="process-create"),
    path("processes/<slug:code>/", views.ProcessDetailView.as_view(), name="process-detail"),
    path("processes/<slug:code>/edit/", views.ProcessFormView.as_view(), name="process-edit"),
    path("versions/<int:pk>/", views.VersionDetailView.as_view(), name="version-detail"),
    path("versions/<int:pk>/edit/", views.VersionEditView.as_view(), name="version-edit"),
    path("versions/<int:pk>/sop/", views.VersionSOPView.as_view(), name="version-sop"),
    path("versions/<int:pk>/history/", views.VersionHistoryView.as_view(), name="version-history"),
    path("versions/<int:pk>/compare/<int:other>/", views.VersionCompareView.as_view(), name="version-compare"),
    path("versions/<int:pk>/export.<str:fmt>", views.VersionExportView.as_view(), name="version-export"),
    path("versions/<int:pk>/<slug:action>/", views.VersionActionView.as_view(), name="version-action"),
]

work = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("items/<int:pk>/", views.WorkItemView.as_view(), name="item-detail"),
    path("items/<int:pk>/<slug:action>/", views.WorkItemActionView.as_view(), name="item-action"),
    path("runs/", views.RunListView.as_view(), name="run-list"),
    path("runs/new/", views.RunStartView.as_view(), name="run-start"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
]

projects = [
    path("", views.ProjectListView.as_view(), name="list"),
    path("new/", views.ProjectFormView.as_view(), name="create"),
    path("<int:pk>/", views.ProjectDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ProjectFormView.as_view(), name="edit"),
    path("<int:pk>/template1/", views.Template1View.as_view(), name="template1"),
    path("<int:pk>/template1.<str:fmt>", views.Template1View.as_view(), name="template1-export"),
    path("<int:pk>/analyses/new/", views.AnalysisFormView.as_view(), name="analysis-create"),
    path("<int:pk>/analyses/<int:analysis_pk>/", views.AnalysisFormView.as_view(), name="analysis-edit"),
    path("<int:pk>/event-log/", views.EventLogView.as_view(), name="event-log"),
    path("<int:pk>/bottlenecks.<str:fmt>", views.BottleneckExportView.as_view(), name="bottleneck-export"),
    path("<int:pk>/<slug:action>/", views.ProjectActionView.as_view(), name="action"),
    path("<int:pk>/<slug:action>/<int:obj>/", views.ProjectActionView.as_view(), name="row-action"),
]

cases = [
    path("", case_views.CaseListView.as_view(), name="list"),
    path("new/", case_views.CaseFormView.as_view(), name="create"),
    path("<int:pk>/", case_views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", case_views.CaseFormView.as_view(), name="edit"),
]

urlpatterns = [
    path("organisation/", views.OrganisationView.as_view(), name="org"),
    path("cases/", include((cases, "cases"))),
    path("standards/", include((standards, "standards"))),
    path("work/", include((work, "work"))),
    path("projects/", include((projects, "projects"))),
]
