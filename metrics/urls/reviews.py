from django.urls import path

from ..views import reviews as views

app_name = "reviews"
urlpatterns = [
    path("", views.ReviewListView.as_view(), name="list"),
    path("<int:pk>/", views.ReviewDetailView.as_view(), name="detail"),
    path("<int:pk>/<slug:action>/", views.ReviewDetailView.as_view(), name="action"),
]
