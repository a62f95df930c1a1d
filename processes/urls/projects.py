"""Pages of the improvement projects, under ``/projects/`` (with the mapping pages of each project)."""

from django.urls import path

from .. import views
from . import mapping

app_name = "projects"
urlpatterns = [
    path("", views.ProjectListView.as_view(), name="list"),
    path("new/", views.ProjectFormView.as_view(), name="create"),
    path("<int:pk>/", views.ProjectDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ProjectFormView.as_view(), name="edit"),
    *mapping.urlpatterns,
    # last: an action slug matches any word
    path("<int:pk>/<slug:action>/", views.ProjectActionView.as_view(), name="action"),
    path("<int:pk>/<slug:action>/<int:obj>/", views.ProjectActionView.as_view(), name="row-action"),
]
