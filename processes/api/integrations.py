"""Webhooks over REST, for IT support and administrators: subscriptions (create, change, deactivate
with ``active: false``) and the read-only delivery log."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ..constants import MANAGE_ORG
from ..models import WebhookDelivery, WebhookSubscription
from ..models.integrations import WebhookEvent
from ..selectors import integrations as selectors_integrations
from ..services import webhooks
from .permissions import RolePermission
from .references import ScopedReferences


class WebhookSubscriptionSerializer(ScopedReferences, serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, help_text="Events to send."
    )
    secret = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=(
            "Signs each delivery (X-OpsFlow-Signature: sha256=HMAC-SHA256 of the body); empty: a random one. "
            "Write-only: the answer to the creation shows it once (`secret`), never again; an update without "
            "it keeps it; `replace-secret` sets a new one."
        ),
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "secret",
            "event_types",
            "department",
            "active",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    """The answer to a creation: the subscription with its secret, this once."""

    secret = serializers.CharField(read_only=True, help_text="The secret; shown only in this answer.")


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="The new secret; empty: a random one."
    )


class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Where events are posted. Deactivate one with ``active: false``: it then gets nothing."""

    queryset = WebhookSubscription.objects.order_by("pk")
    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [RolePermission]
    read_capability = MANAGE_ORG
    write_capability = MANAGE_ORG
    filterset_fields = ["active", "department"]

    @extend_schema(responses={201: WebhookSubscriptionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        body = WebhookSubscriptionCreatedSerializer(serializer.instance, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        serializer.instance = webhooks.webhook_subscription_save(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = webhooks.webhook_subscription_save(
            user=self.request.user, subscription=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=WebhookSecretSerializer, responses={200: WebhookSecretSerializer})
    @action(detail=True, methods=["post"], url_path="replace-secret")
    def replace_secret(self, request, pk=None):
        """Give the subscription a new secret (the one posted, or a random one), shown in this answer only."""
        subscription = self.get_object()
        serializer = WebhookSecretSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        secret = webhooks.webhook_subscription_secret_replace(
            subscription=subscription, user=request.user, secret=serializer.validated_data.get("secret", "")
        )
        return Response({"secret": secret})

    def object_department_id(self, obj):
        return obj.department_id


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "uuid",
            "subscription",
            "event_type",
            "event_key",
            "payload",
            "status",
            "attempts",
            "response_code",
            "last_error",
            "created_at",
            "next_attempt_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The delivery log: each event sent to each subscription, its attempts and the last answer."""

    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliverySerializer
    permission_classes = [RolePermission]
    read_capability = MANAGE_ORG
    filterset_fields = ["subscription", "status", "event_type"]

    def get_queryset(self):
        return selectors_integrations.webhook_delivery_list()

    def object_department_id(self, obj):
        return obj.subscription.department_id
