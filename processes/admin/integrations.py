"""Everybody's API tokens, for IT support: see them and revoke them (deleting a token revokes it).

New tokens are made by their owner on the *My API tokens* page or with ``manage.py apitoken``, so that
only the owner ever sees the token.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import ApiToken
from ..services import tokens


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "token_key", "created", "last_used_at", "expiry"]
    list_filter = ["created", "expiry"]
    search_fields = ["name", "token_key", "user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    ordering = ["-created"]
    fields = ["name", "user", "token_key", "created", "last_used_at", "expiry"]
    readonly_fields = fields
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "revoke" says what it does and goes through the service
        return actions

    @admin.action(description=_("Revoke the selected tokens"), permissions=["delete"])
    def revoke_selected(self, request, queryset):
        count = 0
        for token in queryset.select_related("user"):
            tokens.api_token_revoke(token=token, user=request.user)
            count += 1
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": count})

    def delete_model(self, request, obj):
        tokens.api_token_revoke(token=obj, user=request.user)
