"""Read side of integrations: a person's API tokens, webhook subscriptions and their delivery log."""

from django.db.models import Count, Q, QuerySet

from ..models import ApiToken, WebhookDelivery, WebhookSubscription
from ..models.integrations import DeliveryStatus


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created")


def webhook_subscription_list() -> QuerySet[WebhookSubscription]:
    return (
        WebhookSubscription.objects.select_related("department", "created_by")
        .annotate(
            delivered_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
            pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        )
        .order_by("name", "pk")
    )


def webhook_delivery_list(*, subscription=None, status: str = "", event_type: str = "") -> QuerySet[WebhookDelivery]:
    qs = WebhookDelivery.objects.select_related("subscription").order_by("-created_at", "-pk")
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    if status:
        qs = qs.filter(status=status)
    if event_type:
        qs = qs.filter(event_type=event_type)
    return qs
