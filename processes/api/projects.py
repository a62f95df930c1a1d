from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from opsflow.api.exceptions import Conflict as ConflictError
from opsflow.api.sync import ETagMixin

from .. import access
from ..constants import MANAGE_PROJECT, VIEW
from ..models import (
    Goal,
    ImprovementProject,
    Problem,
    ProjectNote,
    TeamMember,
)
from ..services import projects, work
from .permissions import RolePermission
from .references import ScopedReferences


class TeamMemberSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "user", "role"]


class ProjectSerializer(ScopedReferences, serializers.ModelSerializer):
    team = TeamMemberSerializer(many=True, read_only=True)
    missing = serializers.SerializerMethodField(help_text="Deliverables the current phase still lacks.")

    class Meta:
        model = ImprovementProject
        fields = [
            "id",
            "name_en",
            "name_zh",
            "strategic_goal_en",
            "strategic_goal_zh",
            "department",
            "processes",
            "lead",
            "phase",
            "phase_days",
            "team",
            "missing",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["phase", "created_by", "created_at", "updated_at"]

    def get_missing(self, obj) -> list[str]:
        return projects.missing_deliverables(obj, obj.phase)


class GateSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PhaseNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ProjectViewSet(
    ETagMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Improvement projects. ``submit`` hands the current phase to its gate; ``gate`` decides it."""

    queryset = ImprovementProject.objects.none()
    serializer_class = ProjectSerializer
    permission_classes = [RolePermission]
    write_capability = MANAGE_PROJECT
    action_capabilities = {"submit": VIEW, "gate": VIEW}
    filterset_fields = ["department", "phase", "lead"]
    updated_since_fields = ("updated_at", "team__updated_at")

    def get_queryset(self):
        qs = ImprovementProject.objects.prefetch_related("processes", "team").order_by("id")
        return access.scope_queryset(self.request.user, qs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        processes = data.pop("processes", [])
        serializer.instance = projects.project_create(user=self.request.user, processes=processes, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        processes = data.pop("processes", None)
        serializer.instance = projects.project_update(
            project=serializer.instance, user=self.request.user, processes=processes, **data
        )

    @extend_schema(request=PhaseNoteSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        project = self.get_object()
        serializer = PhaseNoteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            projects.phase_submit(project=project, user=request.user, **serializer.validated_data)
        except work.Conflict as exc:
            raise ConflictError(str(exc)) from None
        return Response(ProjectSerializer(self.get_queryset().get(pk=project.pk)).data)

    @extend_schema(request=GateSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def gate(self, request, pk=None):
        project = self.get_object()
        serializer = GateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            projects.gate_decide(project=project, user=request.user, **serializer.validated_data)
        except work.Conflict as exc:
            raise ConflictError(str(exc)) from None
        return Response(ProjectSerializer(self.get_queryset().get(pk=project.pk)).data)


class ProjectChildViewSet(
    ETagMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Rows that belong to a project; the project's department decides who may see and change them."""

    permission_classes = [RolePermission]
    write_capability = MANAGE_PROJECT
    filterset_fields = ["project"]
    service = None

    def get_queryset(self):
        qs = self.serializer_class.Meta.model.objects.order_by("id")
        return access.scope_queryset(self.request.user, qs, field="project__department")

    def object_department_id(self, obj):
        return obj.project.department_id

    def _project(self, serializer):
        project = serializer.validated_data.get("project") or serializer.instance.project
        if not access.in_scope(self.request.user, project.department_id):
            raise serializers.ValidationError({"project": ["Invalid pk - object does not exist."]})
        return project

    def _fields(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("project", None)
        return data

    def perform_create(self, serializer):
        project = self._project(serializer)
        serializer.instance = type(self).service(project=project, user=self.request.user, **self._fields(serializer))

    def perform_update(self, serializer):
        project = self._project(serializer)
        name = self.serializer_class.Meta.model._meta.model_name
        serializer.instance = type(self).service(
            project=project, user=self.request.user, **{name: serializer.instance}, **self._fields(serializer)
        )


class GoalSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = Goal
        fields = [
            "id",
            "project",
            "indicator",
            "process",
            "description_en",
            "description_zh",
            "baseline_value",
            "target_kind",
            "target_value",
            "due_date",
        ]


class GoalViewSet(ProjectChildViewSet):
    queryset = Goal.objects.none()
    serializer_class = GoalSerializer
    service = staticmethod(projects.goal_save)


class ProblemSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = Problem
        fields = ["id", "project", "process", "source", "description", "severity", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class ProblemViewSet(ProjectChildViewSet):
    queryset = Problem.objects.none()
    serializer_class = ProblemSerializer
    service = staticmethod(projects.problem_save)


class ProjectNoteSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = ProjectNote
        fields = ["id", "project", "kind", "date", "subject", "text", "created_by", "created_at", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_at"]


class ProjectNoteViewSet(ProjectChildViewSet):
    """Employee interviews and customer feedback (baseline of the preparation phase)."""

    queryset = ProjectNote.objects.none()
    serializer_class = ProjectNoteSerializer
    http_method_names = ["get", "post", "head", "options"]

    @staticmethod
    def service(*, project, user, **fields):
        return projects.note_save(project=project, user=user, **fields)


class TeamMemberWriteSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "project", "user", "role"]
        validators = []


class TeamMemberViewSet(ProjectChildViewSet):
    queryset = TeamMember.objects.none()
    serializer_class = TeamMemberWriteSerializer
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        project = self._project(serializer)
        data = serializer.validated_data
        serializer.instance = projects.team_member_add(
            project=project, user=self.request.user, member=data["user"], role=data["role"]
        )
