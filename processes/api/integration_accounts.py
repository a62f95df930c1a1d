"""Integration accounts over REST: which accounts may report events for the people of which departments.

``POST`` sets an account's departments (those of the caller's scope; the others stay), ``DELETE``
takes the caller's departments back. Managers (their scope) and administrators only.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from .. import access
from ..models import Department, IntegrationAccount, User
from ..services import integration_accounts as service
from .references import ScopedReferences


class MayManageIntegrationAccounts(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated) and access.can_manage_integration_accounts(
            user, any_department=True
        )


class IntegrationAccountSerializer(ScopedReferences, serializers.ModelSerializer):
    account = serializers.SlugRelatedField(source="user", slug_field="username", queryset=User.objects.all())
    departments = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        queryset=Department.objects.all(),
        help_text="Codes of the departments whose people it may name as actors (and those below them).",
    )
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = IntegrationAccount
        fields = ["id", "account", "departments", "updated_by", "created_at", "updated_at"]
        read_only_fields = ["id", "updated_by", "created_at", "updated_at"]
        validators = []  # one account per user: POST sets the departments of an existing one


class IntegrationAccountViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Integration accounts: users whose API tokens may report steps for the people of some departments."""

    queryset = IntegrationAccount.objects.none()
    serializer_class = IntegrationAccountSerializer
    permission_classes = [MayManageIntegrationAccounts]
    lookup_field = "user__username"
    lookup_url_kwarg = "account"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return service.integration_account_list(user=self.request.user)

    def _output(self, account):
        # the caller sees only the departments of their scope (others' grants stay unseen)
        data = IntegrationAccountSerializer(account).data
        allowed = set(service.integration_account_departments(user=self.request.user).values_list("code", flat=True))
        data["departments"] = sorted(code for code in data["departments"] if code in allowed)
        return data

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([self._output(account) for account in page])

    def retrieve(self, request, account=None):
        return Response(self._output(self.get_object()))

    @extend_schema(responses={200: IntegrationAccountSerializer, 201: IntegrationAccountSerializer})
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # out of the caller's scope answers exactly like a code that does not exist
        errors = {}
        person, departments = data["user"], data["departments"]
        if not service.integration_account_candidates(user=request.user).filter(pk=person.pk).exists():
            field = serializer.fields["account"]
            errors["account"] = [field.error_messages["does_not_exist"].format(slug_name="username", value=person)]
        allowed = set(service.integration_account_departments(user=request.user).values_list("pk", flat=True))
        outside = [d for d in departments if d.pk not in allowed]
        if outside:
            field = serializer.fields["departments"].child_relation
            errors["departments"] = [
                field.error_messages["does_not_exist"].format(slug_name="code", value=outside[0].code)
            ]
        if errors:
            raise serializers.ValidationError(errors)
        existed = IntegrationAccount.objects.filter(user=person).exists()
        account = service.integration_account_save(user=request.user, account_user=person, departments=departments)
        if account is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(self._output(account), status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, account=None):
        service.integration_account_remove(user=request.user, account=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
