import contextlib

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from opsflow.api.permissions import RolePermission
from opsflow.api.schema import PreconditionFailedSerializer
from opsflow.api.sync import ETagMixin, PreconditionFailed, if_match_ok, plausible_moment
from processes import access
from processes.api.references import ScopedReferences
from processes.constants import MANAGE_PROJECT
from processes.models import Process

from .. import selectors, services
from ..models import Evaluation, EvaluationRow, Indicator, Measurement


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name_en",
            "name_zh",
            "unit",
            "direction",
            "source",
            "computation",
            "definition_en",
            "definition_zh",
            "updated_at",
        ]
        read_only_fields = fields


class MeasurementSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", queryset=Indicator.objects.all())
    process = serializers.SlugRelatedField(slug_field="code", queryset=Process.objects.all())

    class Meta:
        model = Measurement
        fields = [
            "id",
            "indicator",
            "process",
            "period_start",
            "period_end",
            "value",
            "sample_size",
            "numerator",
            "external_id",
            "note",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["source", "created_at", "updated_at"]
        validators = []  # external_id upsert: the service decides between create and update


class EvaluationRowSerializer(serializers.ModelSerializer):
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    change_rate_percent = serializers.SerializerMethodField()
    final_verdict = serializers.CharField(read_only=True)
    verdict_reason_text = serializers.SerializerMethodField()

    class Meta:
        model = EvaluationRow
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "indicator_name",
            "unit",
            "before",
            "after",
            "n_before",
            "n_after",
            "change_rate",
            "change_rate_percent",
            "target_kind",
            "target_value",
            "p_value",
            "verdict",
            "verdict_reason",
            "verdict_reason_text",
            "override",
            "override_reason",
            "overridden_by",
            "final_verdict",
        ]
        read_only_fields = fields

    def get_verdict_reason_text(self, obj) -> str:
        return services.reason_text(obj.verdict_reason, obj.p_value)

    def get_change_rate_percent(self, obj) -> str | None:
        return None if obj.change_rate is None else f"{obj.change_rate * 100:.2f}"


class EvaluationRowInputSerializer(ScopedReferences, serializers.Serializer):
    indicator = serializers.SlugRelatedField(slug_field="code", queryset=Indicator.objects.all())
    target_kind = serializers.ChoiceField(choices=["", "relative", "absolute"], required=False, default="")
    target_value = serializers.DecimalField(
        max_digits=14, decimal_places=4, required=False, allow_null=True, default=None
    )


class EvaluationSerializer(ScopedReferences, serializers.ModelSerializer):
    rows = EvaluationRowSerializer(many=True, read_only=True)
    row_specs = EvaluationRowInputSerializer(many=True, write_only=True, help_text="Indicators and their targets.")

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "title",
            "process",
            "baseline_start",
            "baseline_end",
            "evaluation_start",
            "evaluation_end",
            "created_by",
            "created_at",
            "updated_at",
            "rows",
            "row_specs",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at", "rows"]
        extra_kwargs = {
            name: {"validators": [plausible_moment]}
            for name in ("baseline_start", "baseline_end", "evaluation_start", "evaluation_end")
        }


class IndicatorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = IndicatorSerializer
    permission_classes = [RolePermission]
    queryset = Indicator.objects.order_by("id")
    filterset_fields = ["code", "source"]

    def object_department_id(self, obj):
        return None

    def check_object_permissions(self, request, obj):  # indicators are organisation-wide
        return None


class MeasurementViewSet(
    ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Measured figures. ``POST`` with an ``external_id`` already used for the same indicator and process
    updates that measurement (200). Writing needs the roles that run improvement projects, in scope."""

    queryset = Measurement.objects.none()
    serializer_class = MeasurementSerializer
    permission_classes = [RolePermission]
    write_capability = MANAGE_PROJECT  # the capability behind access.can_write_measurements
    filterset_fields = ["indicator__code", "process__code", "period_start", "external_id"]

    def get_queryset(self):
        return selectors.measurement_list(user=self.request.user).order_by("id")

    def object_department_id(self, obj):
        return obj.process.department_id

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                description="With an external_id already used: the ETag of the measurement you read; another "
                "one answers 412 and changes nothing.",
            )
        ],
        responses={200: MeasurementSerializer, 201: MeasurementSerializer, 412: PreconditionFailedSerializer},
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        process = data.pop("process")
        if not access.can_write_measurements(request.user, process.department_id):
            # the answer for a code that does not exist: nothing tells that the process is there
            field = serializer.fields["process"]
            message = field.error_messages["does_not_exist"].format(slug_name=field.slug_field, value=process.code)
            raise serializers.ValidationError({"process": [message]})
        if_match = request.META.get("HTTP_IF_MATCH", "") if data.get("external_id") else ""
        with transaction.atomic() if if_match else contextlib.nullcontext():
            if if_match:  # checked and written with the row locked, as PUT/PATCH are (opsflow.api.sync)
                same = Measurement.objects.filter(
                    indicator=data["indicator"], process=process, external_id=data["external_id"]
                )
                locked = same.select_for_update().values_list("pk", flat=True).first()
                existing = self.get_queryset().filter(pk=locked).first() if locked else None
                if existing is not None and not if_match_ok(if_match, self.etag(existing)):
                    raise PreconditionFailed()
            measurement, created = services.measurement_upsert(
                user=request.user, indicator=data.pop("indicator"), process=process, source="api", **data
            )
        return Response(
            MeasurementSerializer(measurement).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class EvaluationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Effect evaluations (template 4) with their computed rows."""

    queryset = Evaluation.objects.none()
    serializer_class = EvaluationSerializer
    permission_classes = [RolePermission]
    write_capability = MANAGE_PROJECT
    filterset_fields = ["process"]

    def get_queryset(self):
        return selectors.evaluation_list(user=self.request.user).prefetch_related("rows__indicator").order_by("id")

    def object_department_id(self, obj):
        return obj.process.department_id

    @extend_schema(responses={201: EvaluationSerializer})
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        rows = [dict(r) for r in data.pop("row_specs")]
        if not access.in_scope(request.user, data["process"].department_id):
            raise serializers.ValidationError({"process": ["Invalid pk - object does not exist."]})
        evaluation = services.evaluation_create(user=request.user, rows=rows, **data)
        evaluation = self.get_queryset().get(pk=evaluation.pk)
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)
