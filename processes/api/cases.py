"""The case library over REST: search (``?search=``, ``?process=``, ``?tag=``), capture, change."""

from rest_framework import mixins, serializers, viewsets

from opsflow.api.sync import ETagMixin

from .. import selectors
from ..constants import MANAGE_PROJECT
from ..models import Case
from ..services import cases
from .permissions import RolePermission
from .references import ScopedReferences


class TagListField(serializers.ListField):
    """Tag names in and out (the model holds them as a many-to-many relation)."""

    def to_representation(self, data):
        return sorted(tag.name for tag in data.all()) if hasattr(data, "all") else super().to_representation(data)


class CaseSerializer(ScopedReferences, serializers.ModelSerializer):
    tags = TagListField(
        child=serializers.CharField(max_length=50), required=False, help_text="Tag names; unknown ones are created."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "title_en",
            "title_zh",
            "lesson_en",
            "lesson_zh",
            "department",
            "process",
            "project",
            "source",
            "source_url",
            "tags",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]
        validators = []


class CaseViewSet(
    ETagMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Lessons from reviews, pilots and projects. ``search`` looks in titles, lessons and tags of both
    languages; ``tag`` and ``process`` narrow further."""

    queryset = Case.objects.none()
    serializer_class = CaseSerializer
    permission_classes = [RolePermission]
    write_capability = MANAGE_PROJECT

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        params = self.request.query_params
        process = params.get("process")
        qs = selectors.case_search(user=self.request.user, text=params.get("search", ""), tag=params.get("tag", ""))
        if process and process.isdigit():
            qs = qs.filter(process_id=int(process))
        return qs.order_by("id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = cases.case_save(user=self.request.user, tags=data.pop("tags", []), **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = cases.case_save(
            user=self.request.user, case=serializer.instance, tags=data.pop("tags", None), **data
        )

    def object_department_id(self, obj):
        return obj.department_id
