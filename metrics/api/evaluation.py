from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from opsflow.api.sync import plausible_moment
from processes import access
from processes.api.permissions import RolePermission
from processes.api.references import ScopedReferences
from processes.constants import MANAGE_PROJECT

from .. import selectors, services
from ..models import Evaluation, EvaluationRow, Indicator


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
