"""Login throttling and the audit of authentication failures.

- Every failed login is logged (``opsflow.security``: username and client address, never the password);
  django-axes counts them per username + address and, past ``AXES_FAILURE_LIMIT``, refuses that pair for
  ``AXES_COOLOFF_TIME``: ``lockout_response`` shows the login page again with the reason (HTTP 429).
- API tokens: a client address that presents ``TOKEN_FAILURE_LIMIT`` bad tokens within
  ``TOKEN_FAILURE_WINDOW`` seconds is answered 429 until the window passes (counted in the cache, so
  shared by every web process when Redis is configured).
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
def _token_key(request) -> str:
    return f"opsflow:token-failures:{client_ip(request)}"


def token_failures_exceeded(request) -> bool:
    """Has this client address presented too many bad API tokens lately?"""
    return (cache.get(_token_key(request)) or 0) >= TOKEN_FAILURE_LIMIT


def token_failure_note(request) -> None:
    key = _token_key(request)
    if cache.add(key, 1, TOKEN_FAILURE_WINDOW):
        return
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, TOKEN_FAILURE_WINDOW)
        return
    if count == TOKEN_FAILURE_LIMIT:
        logger.warning("API tokens: %s presented %s bad tokens; refused for a while", client_ip(request), count)


def token_wait_message() -> str:
    return _("Too many requests with an invalid API token from your address. Try again in %(minutes)s minutes.") % {
        "minutes": TOKEN_FAILURE_WINDOW // 60
    }
