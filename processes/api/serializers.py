from rest_framework import serializers

from .. import access
from ..models import Department, Tombstone, User
from .references import ScopedReferences


class DepartmentSerializer(ScopedReferences, serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name_en", "name_zh", "parent", "head", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class UserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "department",
            "supervisor",
            "roles",
            "is_active",
        ]
        read_only_fields = fields

    def get_roles(self, obj) -> list[str]:
        return sorted(access.user_roles(obj))


class TombstoneSerializer(serializers.ModelSerializer):
    model = serializers.CharField(
        read_only=True, help_text="app_label.model_name of the deleted row, e.g. processes.goal"
    )
    object_id = serializers.CharField(read_only=True, help_text="The id the row had.")

    class Meta:
        model = Tombstone
        fields = ["id", "model", "object_id", "department", "deleted_at"]
        read_only_fields = fields
