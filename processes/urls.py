from django.urls import include, path

from . import views

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

urlpatterns = [
    path("organisation/", views.OrganisationView.as_view(), name="org"),
    path("standards/", include((standards, "standards"))),
    path("work/", include((work, "work"))),
]
