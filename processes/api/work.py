import functools

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from opsflow.api.exceptions import Conflict as ConflictError
from opsflow.fastpath.serializers import CachedFields

from .. import access, selectors
from ..choices import VersionStatus
from ..constants import VIEW
from ..models import (
    Department,
    Escalation,
    ExceptionPlan,
    Notification,
    NotificationDelivery,
    Process,
    Run,
    StandardVersion,
    WorkItem,
)
from ..services import work
from .permissions import RolePermission
from .references import ScopedReferences

# Serializers
# ------------------------------------------------------------------------------


class WorkItemSerializer(CachedFields, serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "kind",
            "run",
            "project",
            "subject_url",
            "step",
            "exception_plan",
            "parent",
            "position",
            "title",
            "title_en",
            "title_zh",
            "department",
            "role",
            "automatic",
            "status",
            "assignee",
            "created_at",
            "assigned_at",
            "started_at",
            "finished_at",
            "due_at",
            "overdue",
            "completed_by",
            "note",
            "actor",
            "checks_passed",
            "checks_failed",
            "escalation_level",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        if obj.due_at is None:
            return False
        return (obj.finished_at or timezone.now()) > obj.due_at


class RunSerializer(ScopedReferences, serializers.ModelSerializer):
    items = WorkItemSerializer(many=True, read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "version",
            "department",
            "external_id",
            "title",
            "business_line",
            "status",
            "source",
            "started_at",
            "finished_at",
            "started_by",
            "updated_at",
            "items",
        ]
        read_only_fields = ["status", "source", "started_at", "finished_at", "started_by", "updated_at", "items"]


class RunStartSerializer(ScopedReferences, serializers.Serializer):
    process = serializers.SlugRelatedField(
        slug_field="code",
        queryset=StandardVersion.objects.none(),
        required=False,
        help_text="The process code; its current published version is run.",
    )
    version = serializers.PrimaryKeyRelatedField(queryset=StandardVersion.objects.all(), required=False)
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), required=False)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    business_line = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional (e.g. a sales channel); a pilot may be scoped to one.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.fields["process"].queryset = Process.objects.all()

    def validate(self, data):
        version = data.get("version")
        process = data.get("process")
        if version is None and process is None:
            raise serializers.ValidationError({"process": ["Give a process code or a version id."]})
        if version is None:
            # the current standard; a process on trial before its first publication runs its pilot version
            versions = process.versions
            version = (
                versions.filter(status=VersionStatus.PUBLISHED).first()
                or versions.filter(status=VersionStatus.PILOTING).first()
            )
            if version is None:
                raise serializers.ValidationError({"process": ["This process has no published standard."]})
        data["version"] = version
        return data


class CompleteSerializer(serializers.Serializer):
    checks = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReassignSerializer(ScopedReferences, serializers.Serializer):
    to_user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))


class ExceptionReportSerializer(ScopedReferences, serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=ExceptionPlan.objects.all())
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EscalationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Escalation
        fields = ["id", "work_item", "level", "target", "recipients", "created_at", "due_at"]
        read_only_fields = fields


class NotificationDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationDelivery
        fields = ["channel", "status", "sent_at"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    subject = serializers.CharField(read_only=True)
    deliveries = NotificationDeliverySerializer(many=True, read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "work_item", "escalation", "created_at", "read_at", "deliveries"]
        read_only_fields = fields


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False)


# Views
# ------------------------------------------------------------------------------


def _conflicts(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except work.Conflict as exc:
            raise ConflictError(str(exc)) from None

    return wrapper


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs of published standards. ``POST`` starts one; an ``external_id`` already started returns that run (200)."""

    queryset = Run.objects.none()
    serializer_class = RunSerializer
    permission_classes = [RolePermission]
    action_capabilities = {"create": VIEW}
    filterset_fields = ["version", "department", "status", "external_id"]
    updated_since_fields = ("updated_at", "items__updated_at")  # a run changes when one of its steps does

    def get_queryset(self):
        return access.scope_queryset(
            self.request.user,
            Run.objects.prefetch_related(
                Prefetch("items", queryset=WorkItem.objects.order_by("position", "id"))
            ).order_by("id"),
        )

    @extend_schema(request=RunStartSerializer, responses={200: RunSerializer, 201: RunSerializer})
    def create(self, request):
        serializer = RunStartSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = data["version"]
        if not access.can(request.user, VIEW, version.process.department_id):
            raise serializers.ValidationError({"version": ["Invalid pk - object does not exist."]})
        run, created = work.run_start(
            version=version,
            user=request.user,
            department=data.get("department"),
            external_id=data["external_id"],
            title=data["title"],
            business_line=data["business_line"],
        )
        run = self.get_queryset().get(pk=run.pk)
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# what WorkItemViewSet's commands read before the service locks and reads the item (work.can_see,
# report's checks; with the task's id the service knows whether the item is in a flow)
COMMAND_FIELDS = ("id", "department_id", "assignee_id", "automatic", "flow_task_id")


class WorkItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Work items (steps and exception follow-ups). ``?inbox=true`` lists the caller's inbox."""

    queryset = WorkItem.objects.none()
    serializer_class = WorkItemSerializer
    permission_classes = [RolePermission]
    action_capabilities = {name: VIEW for name in ("claim", "release", "complete", "report", "reassign", "exception")}
    filterset_fields = ["run", "status", "kind", "department", "role", "assignee", "automatic"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WorkItem.objects.none()
        if self.request.query_params.get("inbox") in ("1", "true") and self.action == "list":
            return selectors.inbox_list(user=self.request.user, related=False)
        qs = WorkItem.objects.all()
        if self.action in self.action_capabilities:
            # A command reads what the permission check and the service's lock need; the service then
            # locks and reads the whole row (docs/benchmarks.md, "REST completions under load
            # (performance issue)").
            qs = qs.only(*COMMAND_FIELDS)
        visible = work.visible_to(self.request.user)
        if visible is not None:
            qs = qs.filter(visible.q)
        return qs.order_by("id")

    def _command(self, service, **kwargs):
        """Run a service command on the item of the URL. The service's locking query reads the item
        and applies the caller's visibility (another department's work is 404, as on a read), so the
        item is not read once before it is locked."""
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise NotFound from None
        try:
            item = service(
                item=WorkItem.from_db(None, ["id"], [pk]),
                user=self.request.user,
                visible=work.visible_to(self.request.user),
                **kwargs,
            )
        except WorkItem.DoesNotExist:
            raise NotFound from None
        return self._done(item)

    def filter_queryset(self, queryset):
        if self.action in self.action_capabilities:
            # a command on one item: list filters (built per request from the query string) do not apply
            return queryset
        return super().filter_queryset(queryset)

    def object_department_id(self, obj):
        return obj.department_id

    def check_object_permissions(self, request, obj):
        if not work.can_see(request.user, obj):
            raise PermissionDenied

    def _done(self, item):
        # the service returns the row as it saved it (read under its lock), so no second read is needed
        return Response(WorkItemSerializer(item).data)

    @extend_schema(request=None, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    @_conflicts
    def claim(self, request, pk=None):
        return self._command(work.item_claim)

    @extend_schema(request=None, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    @_conflicts
    def release(self, request, pk=None):
        return self._command(work.item_release)

    @extend_schema(request=CompleteSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    @_conflicts
    def complete(self, request, pk=None):
        serializer = CompleteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self._command(work.item_complete, **serializer.validated_data)

    @extend_schema(request=None, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    @_conflicts
    def report(self, request, pk=None):
        """An automatic step happened in the calling system."""
        return self._done(work.item_report_done(item=self.get_object(), user=request.user))

    @extend_schema(request=ReassignSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    @_conflicts
    def reassign(self, request, pk=None):
        serializer = ReassignSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        item = work.item_reassign(
            item=self.get_object(), user=request.user, to_user=serializer.validated_data["to_user"]
        )
        return self._done(item)

    @extend_schema(request=ExceptionReportSerializer, responses={201: WorkItemSerializer})
    @action(detail=True, methods=["post"])
    @_conflicts
    def exception(self, request, pk=None):
        serializer = ExceptionReportSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        follow_up = work.exception_report(item=self.get_object(), user=request.user, **serializer.validated_data)
        return Response(WorkItemSerializer(follow_up).data, status=status.HTTP_201_CREATED)


class EscalationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Escalation.objects.none()
    serializer_class = EscalationSerializer
    permission_classes = [RolePermission]
    filterset_fields = ["work_item", "level"]
    updated_since_fields = ("created_at",)  # written once

    def get_queryset(self):
        qs = Escalation.objects.prefetch_related("recipients").order_by("id")
        return access.scope_queryset(self.request.user, qs, field="work_item__department")

    def object_department_id(self, obj):
        return obj.work_item.department_id


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications."""

    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    permission_classes = [RolePermission]
    action_capabilities = {"mark_read": VIEW}
    filterset_fields = ["kind"]
    updated_since_fields = ("created_at", "read_at")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return Notification.objects.filter(user=self.request.user).prefetch_related("deliveries").order_by("id")

    @extend_schema(
        request=MarkReadSerializer,
        responses=inline_serializer("MarkReadResult", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        serializer = MarkReadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        count = work.notifications_mark_read(user=request.user, ids=serializer.validated_data.get("ids"))
        return Response({"marked": count})
