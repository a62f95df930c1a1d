from rest_framework import serializers

from .. import access
from ..models import Department, User


class DepartmentSerializer(serializers.ModelSerializer):
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
