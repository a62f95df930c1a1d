"""Token authentication for machines: django-rest-knox, plus a log line for every rejected token and
the token's last use (written at most once a minute, so a busy integration costs no write per request;
the person's other expired tokens are removed at the same moment instead of on every request)."""

import binascii
import logging
from datetime import timedelta
from hmac import compare_digest

from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header

from opsflow import security
from opsflow.fastpath.compiled import CompiledRead

logger = logging.getLogger("opsflow.api.tokens")

LAST_USED_PRECISION = timedelta(minutes=1)

# knox's lookup of the presented token (by its public prefix, with its user), compiled once per process
# (opsflow.fastpath.compiled; the fast path's index: opsflow/fastpath/__init__.py)
_TOKENS_BY_KEY = CompiledRead(lambda key: get_token_model().objects.filter(token_key=key).select_related("user"))


class TokenAuthentication(auth.TokenAuthentication):
    """``Authorization: Token <token>`` with a personal API token; expired, revoked and unknown tokens
    are answered 401 and logged with the token's public prefix and the client address, and counted
    against both (429 past the limit: ``opsflow.security``). A valid token is never refused for its
    address's failures."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != self.authenticate_header(request).lower().encode():
            # no token (anonymous, a session, another scheme) or a malformed header: knox's answer, not counted
            return super().authenticate(request)
        prefix = parts[1][: CONSTANTS.TOKEN_KEY_LENGTH].decode("ascii", "replace")
        if security.token_prefix_locked(request, prefix):
            # someone is guessing this token's rest, and this address took part: no lookup (opsflow.security)
            self._log_rejected(request, prefix, "prefix locked")
            raise exceptions.Throttled(
                wait=security.TOKEN_FAILURE_WINDOW, detail=security.token_prefix_wait_message(prefix)
            )
        try:
            result = super().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            guessing = security.token_failures_exceeded(request)  # before this one: the limit-th is still 401
            security.token_failure_note(request, prefix)
            self._log_rejected(request, prefix, exc.detail)
            if guessing:
                # guessing from this address: its bad tokens answer 429 (its valid ones still work)
                raise exceptions.Throttled(
                    wait=security.TOKEN_FAILURE_WINDOW, detail=security.token_wait_message()
                ) from None
            raise
        if result is not None:
            _, token = result
            now = timezone.now()
            if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
                type(token).objects.filter(pk=token.pk).update(last_used_at=now)
                token.last_used_at = now
                super()._cleanup_token(token)  # the person's other expired tokens, at most once a minute
        return result

    @staticmethod
    def _log_rejected(request, prefix, reason):
        logger.warning(
            "API token rejected (%s): prefix %r, client %s, %s %s",
            reason,
            prefix,
            security.client_ip(request),
            request.method,
            request.path,
        )

    def authenticate_credentials(self, token):
        # knox's own (auth.TokenAuthentication.authenticate_credentials), with its token query compiled
        # once and prepared (opsflow.fastpath.compiled; docs/benchmarks.md, "2026-12-01 11:00-23:40 UTC")
        msg = _("Invalid token.")
        try:
            token = token.decode("utf-8")
        except UnicodeDecodeError:  # a header that is not text is no token (knox: a server error)
            raise exceptions.AuthenticationFailed(msg) from None
        for auth_token in _TOKENS_BY_KEY(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(msg) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token) -> bool:
        # knox reads all the person's tokens on every request to delete the expired ones; only the
        # presented token decides this request, so check that one here (the others are removed above,
        # when the last use is written; docs/benchmarks.md, "REST completions under load (performance issue)")
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


@receiver(token_expired, dispatch_uid="opsflow-log-expired-token")
def _log_expired(sender, username, source, **kwargs):
    # knox deletes an expired token when it (or another token of the same person) is next used
    logger.warning("API token of %s expired and was removed (%s)", username, source)


class TokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema, under the name it had before (generated clients keep working)."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )
