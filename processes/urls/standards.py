"""Pages of the standards (template 2): processes and their versions, under ``/standards/``."""

from django.urls import path

from .. import views

app_name = "standards"
urlpatterns = [
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
