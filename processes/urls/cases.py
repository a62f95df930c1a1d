"""Pages of the case library, under ``/cases/``."""

from django.urls import path

from ..views import cases as views

app_name = "cases"
urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("new/", views.CaseFormView.as_view(), name="create"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CaseFormView.as_view(), name="edit"),
]
