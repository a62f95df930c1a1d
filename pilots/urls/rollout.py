from django.urls import path

from ..views import rollout as views

app_name = "rollouts"
urlpatterns = [
    path("", views.PlanListView.as_view(), name="list"),
    path("new/", views.PlanFormView.as_view(), name="create"),
    path("<int:pk>/", views.PlanDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PlanFormView.as_view(), name="edit"),
    path("<int:pk>/monitoring/", views.MonitoringView.as_view(), name="monitoring"),
    path("<int:pk>/monitoring/<int:rid>/close/", views.MonitoringView.as_view(), name="review-close"),
    path("<int:pk>/sessions/<int:sid>/", views.SessionView.as_view(), name="session"),
    path("<int:pk>/sessions/<int:sid>/<slug:action>/", views.SessionView.as_view(), name="session-action"),
    path(
        "<int:pk>/sessions/<int:sid>/<slug:action>/<int:obj>/", views.SessionView.as_view(), name="session-row-action"
    ),
    path("<int:pk>/<slug:action>/", views.PlanDetailView.as_view(), name="action"),
    path("<int:pk>/<slug:action>/<int:obj>/", views.PlanDetailView.as_view(), name="milestone-action"),
]
