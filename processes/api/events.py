"""Process events over REST: ``POST`` a batch from another system; ``GET`` the event log of every run
(in OpsFlow or reported), one row per finished step. See ``processes.services.events``."""

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from opsflow.api.exceptions import Conflict as ConflictError
from opsflow.api.exceptions import RequestTooLarge
from opsflow.api.sync import plausible_moment

from .. import access
from ..choices import RunSource, WorkKind, WorkStatus
from ..constants import VIEW
from ..models import ApiToken, WorkItem
from ..services import events as service
from ..services.work import Conflict
from .permissions import RolePermission


class EventSerializer(serializers.Serializer):
    process = serializers.CharField(max_length=50, help_text="The process code.")
    case = serializers.CharField(max_length=100, help_text="The case in your system, e.g. the order number.")
    step = serializers.CharField(
        max_length=300, help_text="The step; a step of the standard with this name is matched."
    )
    started = serializers.DateTimeField(validators=[plausible_moment])
    finished = serializers.DateTimeField(validators=[plausible_moment])
    actor = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        default="",
        help_text="Who did it: your own username (the default). An integration account may name any active "
        "person of the departments it reports for.",
    )
    department = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text="Department code; default: the process's.",
    )
    business_line = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class EventBatchSerializer(serializers.Serializer):
    events = EventSerializer(many=True, allow_empty=False, max_length=service.MAX_EVENTS)


class IngestResultSerializer(serializers.Serializer):
    events = serializers.IntegerField()
    created = serializers.IntegerField(help_text="Events stored for the first time.")
    updated = serializers.IntegerField(help_text="Events already stored whose finish or actor changed.")
    unchanged = serializers.IntegerField(help_text="Events already stored as sent.")
    runs_created = serializers.IntegerField()
    runs_updated = serializers.IntegerField()


class EventErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        required=False,
        help_text='Per event, by its index in the batch: {"12": {"finished": ["..."]}}.',
    )
    events = serializers.JSONField(required=False, help_text="What is wrong with the batch as a whole.")


class EventLogSerializer(serializers.ModelSerializer):
    process = serializers.CharField(source="run.version.process.code", read_only=True)
    case = serializers.SerializerMethodField()
    step = serializers.CharField(source="title_en", read_only=True)
    started = serializers.DateTimeField(source="started_at", read_only=True)
    finished = serializers.DateTimeField(source="finished_at", read_only=True)
    actor = serializers.SerializerMethodField()
    source = serializers.ChoiceField(source="run.source", choices=RunSource.choices, read_only=True)
    reported_by = serializers.SerializerMethodField(
        help_text="The username of who reported the step through this API (empty: done here)."
    )
    reported_token = serializers.CharField(
        source="reported_token_label",
        read_only=True,
        help_text="The API token it was reported with: name and prefix (empty: the browser's session).",
    )

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "process",
            "case",
            "step",
            "started",
            "finished",
            "actor",
            "role",
            "source",
            "run",
            "waiting_seconds",
            "working_seconds",
            "duration_seconds",
            "on_time",
            "reported_by",
            "reported_token",
            "updated_at",
        ]
        read_only_fields = fields

    def get_case(self, obj) -> str:
        return obj.run.external_id or f"run-{obj.run_id}"

    def get_reported_by(self, obj) -> str:
        return obj.reported_by.username if obj.reported_by_id else ""

    def get_actor(self, obj) -> str:
        return obj.actor or (obj.completed_by.username if obj.completed_by_id else "")


class EventFilter(filters.FilterSet):
    process = filters.CharFilter(field_name="run__version__process__code", help_text="Process code")
    case = filters.CharFilter(field_name="run__external_id")
    source = filters.ChoiceFilter(field_name="run__source", choices=RunSource.choices)

    class Meta:
        model = WorkItem
        fields = ["process", "case", "source"]


class EventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Process events. ``POST`` stores a batch of up to 10,000 from another system, all or nothing
    (400 with per-item errors, 413 above the limit); an event already stored is not doubled. ``GET``
    lists the event log of every run, those run in OpsFlow included (``?process=``, ``?case=``)."""

    queryset = WorkItem.objects.none()
    serializer_class = EventLogSerializer
    permission_classes = [RolePermission]
    action_capabilities = {"create": VIEW}
    filterset_class = EventFilter

    def get_queryset(self):
        qs = WorkItem.objects.filter(
            kind=WorkKind.STEP, run__isnull=False, status=WorkStatus.DONE, started_at__isnull=False
        ).select_related("run__version__process", "completed_by", "reported_by")
        return access.scope_queryset(self.request.user, qs).order_by("id")

    @extend_schema(
        request=EventBatchSerializer,
        responses={
            200: IngestResultSerializer,
            400: OpenApiResponse(EventErrorsSerializer, description="Nothing was stored."),
            409: OpenApiResponse(description="Another batch is storing the same cases; send again."),
            413: OpenApiResponse(description="More than 10,000 events, or a body over the size limit."),
        },
    )
    def create(self, request):
        events = request.data.get("events") if isinstance(request.data, dict) else None
        if isinstance(events, list) and len(events) > service.MAX_EVENTS:
            raise RequestTooLarge(_("At most %(n)s events per batch.") % {"n": f"{service.MAX_EVENTS:,}"})
        serializer = EventBatchSerializer(data=request.data)
        if not serializer.is_valid():
            items = serializer.errors.get("events")
            if isinstance(items, list) and any(isinstance(e, dict) for e in items):
                items = dict(enumerate(items))
            if isinstance(items, dict) and all(isinstance(i, int) for i in items):  # per event, by index
                raise serializers.ValidationError({"errors": {str(i): e for i, e in items.items() if e}})
            raise serializers.ValidationError(serializer.errors)
        try:
            token = request.auth if isinstance(request.auth, ApiToken) else None  # None: the browser's session
            result = service.events_ingest(user=request.user, events=serializer.validated_data["events"], token=token)
        except service.EventsRefused as exc:
            raise serializers.ValidationError({"errors": exc.errors}) from None
        except Conflict as exc:
            raise ConflictError(str(exc)) from None
        return Response(IngestResultSerializer(result).data, status=status.HTTP_200_OK)
