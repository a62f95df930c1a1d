"""Periodic reviews over REST: list and read them, record actions, close them with conclusions."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from processes.api.permissions import RolePermission
from processes.api.references import ScopedReferences
from processes.constants import MANAGE_PROJECT, VIEW
from processes.models import Department, Process

from ..choices import ActionKind
from ..models import Review, ReviewAction
from ..selectors import reviews as review_selectors
from ..services import reviews


class ReviewActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewAction
        fields = [
            "id",
            "kind",
            "description",
            "process",
            "draft_version",
            "responsible_department",
            "due_days",
            "work_item",
            "status",
            "resolution",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    actions = ReviewActionSerializer(many=True, read_only=True)
    due_at = serializers.DateTimeField(source="work_item.due_at", read_only=True, allow_null=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "project",
            "cadence",
            "period_start",
            "period_end",
            "work_item",
            "due_at",
            "conclusions",
            "created_at",
            "closed_at",
            "closed_by",
            "actions",
        ]
        read_only_fields = fields


class PeriodicReviewCloseSerializer(serializers.Serializer):
    conclusions = serializers.CharField()


class NewActionSerializer(ScopedReferences, serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActionKind.choices)
    description = serializers.CharField()
    process = serializers.PrimaryKeyRelatedField(queryset=Process.objects.all(), required=False, allow_null=True)
    responsible_department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True
    )
    due_days = serializers.IntegerField(min_value=1, max_value=120, required=False, allow_null=True)


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Periodic reviews of projects in continuous optimization (opened by Celery beat)."""

    queryset = Review.objects.none()
    serializer_class = ReviewSerializer
    permission_classes = [RolePermission]
    action_capabilities = {"close": MANAGE_PROJECT, "actions": MANAGE_PROJECT}
    read_capability = VIEW
    filterset_fields = ["project", "cadence"]
    updated_since_fields = ("updated_at", "actions__updated_at")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return review_selectors.review_list(user=self.request.user).prefetch_related("actions").order_by("id")

    def object_department_id(self, obj):
        return obj.project.department_id

    @extend_schema(request=PeriodicReviewCloseSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        serializer = PeriodicReviewCloseSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        review = reviews.review_close(review=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(ReviewSerializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(request=NewActionSerializer, responses={201: ReviewActionSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        serializer = NewActionSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        made = reviews.action_add(review=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(ReviewActionSerializer(made).data, status=201)
