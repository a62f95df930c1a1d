from django.urls import path

from ..views import pilot as views

app_name = "pilots"
urlpatterns = [
    path("", views.PilotListView.as_view(), name="list"),
    path("new/", views.PilotFormView.as_view(), name="create"),
    path("<int:pk>/", views.PilotDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PilotFormView.as_view(), name="edit"),
    path("<int:pk>/report/", views.ReportView.as_view(), name="report"),
    path("<int:pk>/<slug:action>/", views.PilotDetailView.as_view(), name="action"),
    path("feedback/<int:pk>/<slug:decision>/", views.FeedbackDecideView.as_view(), name="feedback-decide"),
    path("surveys/<int:pk>/", views.SurveyView.as_view(), name="survey"),
]
