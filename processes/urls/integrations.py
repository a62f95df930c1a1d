from django.urls import path

from ..views import integrations as views

app_name = "integrations"
urlpatterns = [
    path("tokens/", views.ApiTokenListView.as_view(), name="tokens"),
    path("tokens/revoke/", views.ApiTokenRevokeView.as_view(), name="token-revoke"),
    path("accounts/", views.IntegrationAccountListView.as_view(), name="accounts"),
    path("webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/new/", views.WebhookFormView.as_view(), name="webhook-create"),
    path("webhooks/deliveries/", views.DeliveryListView.as_view(), name="deliveries"),
    path("webhooks/deliveries/<int:pk>/redeliver/", views.DeliveryRedeliverView.as_view(), name="delivery-redeliver"),
    path("webhooks/<int:pk>/", views.WebhookFormView.as_view(), name="webhook-edit"),
    path("webhooks/<int:pk>/<slug:action>/", views.WebhookActionView.as_view(), name="webhook-action"),
]
