"""Login throttling and the audit of authentication failures.

- Every failed login is logged (``opsflow.security``: username and client address, never the password);
  django-axes counts them per username + address and, past ``AXES_FAILURE_LIMIT``, refuses that pair for
  ``AXES_COOLOFF_TIME``: ``lockout_response`` shows the login page again with the reason (HTTP 429).
- API tokens: bad tokens are counted twice, per client address and per token prefix (knox's
  ``token_key``, the first 15 characters, which name one token), in the cache (shared by every web
  process when Redis is configured); each count lasts ``TOKEN_FAILURE_WINDOW`` seconds from its first
  failure. Past ``TOKEN_FAILURE_LIMIT``:

  - the address: its *bad* tokens are answered 429 instead of 401; a valid token from it still works
    (behind a proxy without ``OPSFLOW_PROXY_COUNT`` every client has the proxy's address, and one
    guesser must not lock everybody out);
  - the prefix: it is refused (429, without a lookup) from every address that presented a bad token in
    the window, so guessing the rest of one token gets one try per address; its owner, from an
    address without failures, keeps working.

  Requests without a token (anonymous, or a login session) and malformed ``Authorization`` headers,
  which cannot be guesses, are not counted.
"""

import logging
import math

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger("opsflow.security")

TOKEN_FAILURE_LIMIT = 20
TOKEN_FAILURE_WINDOW = 600  # seconds
_MAX_LOGGED_USERNAME = 150


def client_ip(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``OPSFLOW_PROXY_COUNT`` trusted proxies the entry
    of X-Forwarded-For that the outermost of them appended (entries further left can be forged)."""
    proxies = getattr(settings, "OPSFLOW_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _username(credentials) -> str:
    name = str((credentials or {}).get("username", "") or "")
    return name[:_MAX_LOGGED_USERNAME]


@receiver(user_login_failed, dispatch_uid="opsflow-log-login-failed")
def log_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in ``credentials`` with stars; only the username is logged.
    logger.warning(
        "login failed: username %r from %s", _username(credentials), client_ip(request) if request else "unknown"
    )


@receiver(user_logged_in, dispatch_uid="opsflow-log-logged-in")
def log_logged_in(sender, request, user, **kwargs):
    logger.info("login: %s from %s", user.get_username(), client_ip(request) if request else "unknown")


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login sees (django-axes' ``AXES_LOCKOUT_CALLABLE``): the login page again, its
    message saying why and for how long, status 429. Nothing was checked against the password."""
    username = _username(credentials) or request.POST.get("username", "")[:_MAX_LOGGED_USERNAME]
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    message = settings.AXES_COOLOFF_MESSAGE % {"minutes": minutes}
    logger.warning("login locked out: username %r from %s", username, client_ip(request))
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "lockout_message": message,
        "site_name": settings.SITE_NAME,
        "next": request.POST.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


# API tokens
# ------------------------------------------------------------------------------
def _address_key(request) -> str:
    return f"opsflow:token-failures:{client_ip(request)}"


def _prefix_key(prefix: str) -> str:
    # hex: the prefix is what the client sent, and cache backends restrict the characters of a key
    return f"opsflow:token-prefix-failures:{prefix.encode('utf-8', 'replace').hex()}"


def token_address_failures(request) -> int:
    """How many bad API tokens this client address presented in the current window."""
    return cache.get(_address_key(request)) or 0


def token_failures_exceeded(request) -> bool:
    """Has this client address presented too many bad API tokens lately?"""
    return token_address_failures(request) >= TOKEN_FAILURE_LIMIT


def token_prefix_locked(request, prefix: str) -> bool:
    """Is ``prefix`` being guessed (too many bad tokens with it lately) and has this address taken
    part (presented any bad token in the window)?"""
    if (cache.get(_prefix_key(prefix)) or 0) < TOKEN_FAILURE_LIMIT:
        return False
    return token_address_failures(request) > 0


def _count(key: str, *, create: bool = True) -> int | None:
    if create and cache.add(key, 1, TOKEN_FAILURE_WINDOW):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # missing (expired between add() and incr(), or not to be created)
        if create:
            cache.add(key, 1, TOKEN_FAILURE_WINDOW)
            return 1
        return None


def token_failure_note(request, prefix: str) -> None:
    """Count a bad token against the client's address and the token's prefix. Once the address is
    over the limit, prefixes it has not tried yet are no longer counted (a guesser of random tokens
    would otherwise add one cache key per request)."""
    address_count = _count(_address_key(request))
    if address_count == TOKEN_FAILURE_LIMIT:
        logger.warning(
            "API tokens: %s presented %s bad tokens; its bad tokens are refused for a while",
            client_ip(request),
            address_count,
        )
    prefix_count = _count(_prefix_key(prefix), create=address_count <= TOKEN_FAILURE_LIMIT)
    if prefix_count == TOKEN_FAILURE_LIMIT:
        logger.warning("API tokens: %s bad tokens with prefix %r; refused for a while", prefix_count, prefix)


def token_wait_message() -> str:
    return _("Too many requests with an invalid API token from your address. Try again in %(minutes)s minutes.") % {
        "minutes": TOKEN_FAILURE_WINDOW // 60
    }


def token_prefix_wait_message(prefix: str) -> str:
    return _(
        "Too many requests with invalid API tokens starting with %(prefix)s. Try again in %(minutes)s minutes."
    ) % {"prefix": prefix, "minutes": TOKEN_FAILURE_WINDOW // 60}
