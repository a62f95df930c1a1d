from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsflow.api.sync import ETagMixin

from .. import access, selectors, services
from ..constants import APPROVE_STANDARD, AUTHOR_STANDARD, VIEW
from ..models import EscalationLevel, ExceptionPlan, Process, StandardTarget, StandardVersion, Step
from .permissions import RolePermission
from .references import ScopedReferences

# Serializers
# ------------------------------------------------------------------------------


class ProcessSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = Process
        fields = [
            "id",
            "code",
            "name_en",
            "name_zh",
            "department",
            "description_en",
            "description_zh",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class StepSerializer(ScopedReferences, serializers.ModelSerializer):
    key = serializers.UUIDField(required=False, help_text="Keep a step's key to update it; omit it for a new step.")

    class Meta:
        model = Step
        fields = ["key", "position", *services.standards.STEP_FIELDS]
        read_only_fields = ["position"]


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = StandardTarget
        fields = services.standards.TARGET_FIELDS


class EscalationLevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationLevel
        fields = services.standards.LEVEL_FIELDS
        validators = []  # (version, level) uniqueness is checked by the service across the whole list


class ExceptionPlanSerializer(ScopedReferences, serializers.ModelSerializer):
    key = serializers.UUIDField(required=False)

    class Meta:
        model = ExceptionPlan
        fields = ["key", "position", *services.standards.PLAN_FIELDS]
        read_only_fields = ["position"]


class StandardVersionSerializer(ScopedReferences, serializers.ModelSerializer):
    steps = StepSerializer(many=True, required=False)
    targets = TargetSerializer(many=True, required=False)
    escalation_levels = EscalationLevelSerializer(many=True, required=False)
    exception_plans = ExceptionPlanSerializer(many=True, required=False)

    class Meta:
        model = StandardVersion
        fields = [
            "id",
            "process",
            "number",
            "status",
            "based_on",
            *services.standards.VERSION_FIELDS,
            "author",
            "submitted_at",
            "approved_by",
            "approved_at",
            "published_by",
            "published_at",
            "review_note",
            "created_at",
            "updated_at",
            "steps",
            "targets",
            "escalation_levels",
            "exception_plans",
        ]
        read_only_fields = [
            "number",
            "status",
            "based_on",
            "author",
            "submitted_at",
            "approved_by",
            "approved_at",
            "published_by",
            "published_at",
            "review_note",
            "created_at",
            "updated_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["process"].read_only = True  # a version never moves to another process
        return fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CompareSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.DictField())
    steps = serializers.ListField(child=serializers.DictField())
    targets = serializers.ListField(child=serializers.DictField())
    escalation_levels = serializers.ListField(child=serializers.DictField())
    exception_plans = serializers.ListField(child=serializers.DictField())


# Views
# ------------------------------------------------------------------------------


class ProcessViewSet(
    ETagMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Process.objects.none()
    serializer_class = ProcessSerializer
    permission_classes = [RolePermission]
    write_capability = AUTHOR_STANDARD
    filterset_fields = ["department", "code"]
    lookup_field = "pk"

    def get_queryset(self):
        return access.scope_queryset(self.request.user, Process.objects.all()).order_by("id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.process_create(user=self.request.user, code=data.pop("code"), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("code", None)
        serializer.instance = services.process_update(process=serializer.instance, user=self.request.user, **data)


CHILD_TABLES = ["steps", "targets", "escalation_levels", "exception_plans"]


class StandardVersionViewSet(
    ETagMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Standard versions with their steps, targets, escalation levels and exception plans.

    Create starts a new draft of a process (with its content, if given); PUT/PATCH replace a draft's
    content (a child list that is sent replaces that table; steps and exception plans keep their
    ``key``). Published versions are frozen: edits answer 400. Lifecycle: submit -> approve (by a
    manager who is not the author) -> publish; reject sends it back; new-draft copies a version.
    """

    queryset = StandardVersion.objects.none()
    serializer_class = StandardVersionSerializer
    permission_classes = [RolePermission]
    write_capability = AUTHOR_STANDARD
    action_capabilities = {
        "submit": AUTHOR_STANDARD,
        "new_draft": AUTHOR_STANDARD,
        "approve": APPROVE_STANDARD,
        "reject": APPROVE_STANDARD,
        "publish": APPROVE_STANDARD,
        "compare": VIEW,
    }
    filterset_fields = ["process", "status"]

    def get_queryset(self):
        qs = StandardVersion.objects.select_related("process").prefetch_related(
            "steps", "targets", "escalation_levels", "exception_plans"
        )
        return access.scope_queryset(self.request.user, qs, field="process__department").order_by("id")

    def object_department_id(self, obj):
        return obj.process.department_id

    def _save_content(self, version, data):
        fields = {name: data[name] for name in services.standards.VERSION_FIELDS if name in data}
        tables = {name: [dict(row) for row in data[name]] if name in data else None for name in CHILD_TABLES}
        return services.version_save(version=version, user=self.request.user, fields=fields, **tables)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        process = data.pop("process")
        if not access.in_scope(self.request.user, process.department_id):
            raise serializers.ValidationError({"process": ["Invalid pk - object does not exist."]})
        with transaction.atomic():
            version = services.version_create(process=process, user=self.request.user)
            serializer.instance = self._save_content(version, data)

    def perform_update(self, serializer):
        serializer.instance = self._save_content(serializer.instance, dict(serializer.validated_data))

    def _command(self, request, handler):
        version = self.get_object()
        note_serializer = NoteSerializer(data=request.data, context=self.get_serializer_context())
        note_serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            result = handler(version, note_serializer.validated_data["note"])
        result = self.get_queryset().get(pk=result.pk)
        code = status.HTTP_201_CREATED if result.pk != version.pk else status.HTTP_200_OK
        return Response(self.get_serializer(result).data, status=code)

    @extend_schema(request=None, responses=StandardVersionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._command(request, lambda v, note: services.version_submit(version=v, user=request.user))

    @extend_schema(request=NoteSerializer, responses=StandardVersionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._command(request, lambda v, note: services.version_approve(version=v, user=request.user, note=note))

    @extend_schema(request=NoteSerializer, responses=StandardVersionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._command(request, lambda v, note: services.version_reject(version=v, user=request.user, note=note))

    @extend_schema(request=None, responses=StandardVersionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._command(request, lambda v, note: services.version_publish(version=v, user=request.user))

    @extend_schema(request=NoteSerializer, responses={201: StandardVersionSerializer})
    @action(detail=True, methods=["post"], url_path="new-draft")
    def new_draft(self, request, pk=None):
        return self._command(
            request, lambda v, note: services.version_new_draft(version=v, user=request.user, change_note=note)
        )

    @extend_schema(
        parameters=[OpenApiParameter("with", int, required=True, description="The other version's id")],
        responses=CompareSerializer,
    )
    @action(detail=True, methods=["get"])
    def compare(self, request, pk=None):
        version = self.get_object()
        other_id = request.query_params.get("with", "")
        if not other_id.isdigit():
            raise serializers.ValidationError({"with": ["Give the id of the version to compare with."]})
        other = selectors.version_get(user=request.user, pk=int(other_id))
        old, new = (other, version) if other.number < version.number else (version, other)
        try:
            comparison = services.version_compare(old=old, new=new)
        except ValidationError as exc:
            raise serializers.ValidationError({"with": exc.messages}) from None

        def rows(items):
            return [
                {
                    "state": row.state,
                    "moved": row.moved,
                    "item": str(row.after or row.before),
                    "changes": [
                        {"field": c.field, "before": str(c.before), "after": str(c.after)} for c in row.changes
                    ],
                }
                for row in items
            ]

        return Response(
            {
                "fields": [{"field": c.field, "before": c.before, "after": c.after} for c in comparison.fields],
                "steps": rows(comparison.steps),
                "targets": rows(comparison.targets),
                "escalation_levels": rows(comparison.escalation_levels),
                "exception_plans": rows(comparison.exception_plans),
            }
        )


__all__ = ["ProcessViewSet", "StandardVersionViewSet"]
