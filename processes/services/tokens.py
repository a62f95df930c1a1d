"""Personal API tokens: create (the token is returned once, only its digest is kept), revoke."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import access
from ..constants import MANAGE_ORG
from ..models import ApiToken

logger = logging.getLogger("opsflow.api.tokens")

MAX_DAYS = 3650


@transaction.atomic
def api_token_create(*, user, name: str, days: int | None, replace: bool = False) -> tuple[ApiToken, str]:
    """A new token for ``user``, valid ``days`` days (``None``: until revoked). Returns the row and the
    token, which is never stored. ``replace`` revokes the user's tokens of the same name first (rotation)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the system that will use it.")})
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": _("A token is valid for 1 to %(max)s days.") % {"max": MAX_DAYS}})
    if not user.is_active:
        raise ValidationError(_("Inactive people cannot have API tokens."))
    if replace:
        for old in ApiToken.objects.select_for_update().filter(user=user, name=name):
            _delete(old, by=user, reason="replaced")
    probe = ApiToken(user=user, name=name, digest="-", token_key="-")
    probe.full_clean(exclude=["digest", "token_key", "user"])
    token, secret = ApiToken.objects.create(
        user=user, name=name, expiry=timedelta(days=days) if days is not None else None
    )
    logger.info("API token %r (%s…) created for %s, expires %s", name, token.token_key, user, token.expiry or "never")
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user) -> None:
    """Revoke a token: one's own, or anybody's for IT support and admins. It stops working at once."""
    if token.user_id != user.pk and not access.can(user, MANAGE_ORG):
        raise PermissionDenied(_("You can revoke only your own API tokens."))
    _delete(token, by=user, reason="revoked")


def _delete(token: ApiToken, *, by, reason: str) -> None:
    logger.info("API token %r (%s…) of %s %s by %s", token.name, token.token_key, token.user, reason, by)
    token.delete()


@transaction.atomic
def api_tokens_revoke_all(*, user, reason: str) -> int:
    """Revoke every API token of ``user`` (their password changed: whoever knew it may hold one)."""
    count = 0
    for token in ApiToken.objects.select_for_update().filter(user=user):
        _delete(token, by=user, reason=reason)
        count += 1
    return count


def revoke_tokens_on_password_change(sender, instance, created, **kwargs):
    """post_save of the user: ``set_password()`` leaves the new raw password in ``_password`` until
    the save that stores it (Django's own hook for password validators), so this is every change."""
    if not created and getattr(instance, "_password", None) is not None:
        api_tokens_revoke_all(user=instance, reason="revoked (password changed)")
