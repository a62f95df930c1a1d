"""REST endpoints of process mapping (template 1): current-state analyses with their as-is steps,
and bottlenecks (under ``/api/v1/projects/``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import access
from ..models import (
    AsIsStep,
    Bottleneck,
    CurrentStateAnalysis,
    ImprovementProject,
)
from ..services import mapping as mapping_services
from .projects import ProjectChildViewSet
from .references import ScopedReferences


class BottleneckSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = Bottleneck
        fields = [
            "id",
            "project",
            "process",
            "kind",
            "step",
            "evidence",
            "proposed_fix",
            "problems",
            "state",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class BottleneckViewSet(ProjectChildViewSet):
    queryset = Bottleneck.objects.none()
    serializer_class = BottleneckSerializer
    service = staticmethod(mapping_services.bottleneck_save)

    @extend_schema(request=None, responses={200: BottleneckSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path=r"suggest/(?P<project_id>\d+)")
    def suggest(self, request, project_id=None):
        project = access.scope_queryset(request.user, ImprovementProject.objects.all()).filter(pk=project_id).first()
        if project is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        made = mapping_services.bottleneck_suggest(project=project, user=request.user)
        return Response(BottleneckSerializer(made, many=True).data)


class AsIsStepSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = AsIsStep
        fields = ["position", "name_en", "name_zh", "department", "role", "hours", "time_limit_known", "note"]
        read_only_fields = ["position"]


class AnalysisSerializer(ScopedReferences, serializers.ModelSerializer):
    steps = AsIsStepSerializer(many=True)

    class Meta:
        model = CurrentStateAnalysis
        fields = [
            "id",
            "project",
            "process",
            "owner",
            "pain_points_en",
            "pain_points_zh",
            "risk",
            "steps",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []


class AnalysisViewSet(ProjectChildViewSet):
    """Template 1 rows with their as-is steps (a write replaces the steps)."""

    queryset = CurrentStateAnalysis.objects.none()
    serializer_class = AnalysisSerializer

    @staticmethod
    def service(*, project, user, currentstateanalysis=None, steps=None, **fields):
        analysis = currentstateanalysis
        if analysis is not None:  # a PATCH keeps what it does not send
            fields.setdefault("process", analysis.process)
            if steps is None:
                names = [n for n in AsIsStepSerializer.Meta.fields if n != "position"]
                steps = [{n: getattr(s, n) for n in names} for s in analysis.steps.order_by("position")]
        return mapping_services.analysis_save(
            project=project, user=user, analysis=analysis, steps=[dict(s) for s in steps or ()], **fields
        )
