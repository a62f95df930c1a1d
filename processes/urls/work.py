"""Pages of the work: the inbox, work items, runs and notifications, under ``/work/``."""

from django.urls import path

from .. import views

app_name = "work"
urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("items/<int:pk>/", views.WorkItemView.as_view(), name="item-detail"),
    path("items/<int:pk>/<slug:action>/", views.WorkItemActionView.as_view(), name="item-action"),
    path("runs/", views.RunListView.as_view(), name="run-list"),
    path("runs/new/", views.RunStartView.as_view(), name="run-start"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
]
