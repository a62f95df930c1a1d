"""REST API of indicators and their measurements."""

import contextlib

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from opsflow.api.schema import PreconditionFailedSerializer
from opsflow.api.sync import ETagMixin, PreconditionFailed, if_match_ok
from processes import access
from processes.api.permissions import RolePermission
from processes.constants import MANAGE_PROJECT
from processes.models import Process

from .. import selectors, services
from ..models import Indicator, Measurement


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
