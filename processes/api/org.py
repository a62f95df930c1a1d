from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import access, selectors
from ..constants import MANAGE_ORG, VIEW_ORG
from ..models import Department, Tombstone, User
from .permissions import RolePermission
from .serializers import DepartmentSerializer, TombstoneSerializer, UserSerializer


class DepartmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Department.objects.none()
    serializer_class = DepartmentSerializer
    permission_classes = [RolePermission]
    read_capability = VIEW_ORG
    write_capability = MANAGE_ORG
    filterset_fields = ["parent", "code"]

    def get_queryset(self):
        return Department.objects.filter(pk__in=[d.pk for d in selectors.department_list(user=self.request.user)])

    def object_department_id(self, obj):
        return obj.pk


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = User.objects.none()
    serializer_class = UserSerializer
    permission_classes = [RolePermission]
    read_capability = VIEW_ORG
    filterset_fields = ["department", "supervisor", "username"]

    def get_queryset(self):
        return selectors.user_list(user=self.request.user)

    @extend_schema(responses=UserSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request):
        return Response(UserSerializer(request.user).data)


class DeletionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Rows deleted from synced tables, oldest first: pull them with the same ``updated_since`` as the
    lists and delete your copies. Scoped like the rows were (by their department); rows of no
    department are listed to users who see the whole organisation."""

    queryset = Tombstone.objects.none()
    serializer_class = TombstoneSerializer
    permission_classes = [RolePermission]
    filterset_fields = ["model"]
    updated_since_fields = ("deleted_at",)

    def get_queryset(self):
        return access.scope_queryset(self.request.user, Tombstone.objects.order_by("id"))
