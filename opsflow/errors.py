"""Error pages, and the answer when the database cannot be reached (503 instead of a server error)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

# How long a client should wait before trying again while the database is away (a PostgreSQL restart
# or fail-over takes seconds).
RETRY_AFTER_SECONDS = 10

# SQLSTATE classes of a lost or refused connection: 08 connection exception, 57P01-57P03 the server is
# shutting down, crashed or starting up, 53 out of connections/memory. Lock timeouts (55P03), deadlocks
# (40P01) and cancelled statements (57014) are not outages.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53")
# SQLite reports a busy or missing database file only in the message.
_UNAVAILABLE_SQLITE = ("database is locked", "unable to open database file", "disk i/o error")


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc``, or an error it was raised from, means the database cannot be reached right now
    (server down or restarting, connection lost), as opposed to a bug or a conflict between requests."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, InterfaceError):
            return True
        if isinstance(exc, OperationalError):
            driver_error = exc.__cause__ or exc
            code = getattr(driver_error, "pgcode", None) or getattr(driver_error, "sqlstate", None)
            if code is None and type(driver_error).__module__.startswith("sqlite3"):
                return str(driver_error).lower().startswith(_UNAVAILABLE_SQLITE)
            if code is None or code.startswith(_UNAVAILABLE_SQLSTATES):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


def database_unavailable_message() -> str:
    return _("OpsFlow cannot reach its database right now, so this request was not carried out. Try again in a minute.")


def database_unavailable_response(request) -> HttpResponse:
    """503 without touching the database: JSON for the API, a plain page (no context processors, which
    would read the user and the session) for everything else."""
    message = database_unavailable_message()
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=503)
    else:
        html = render_to_string("503.html", {"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _api(request) -> bool:
    return request.path_info.startswith("/api/")


def _json_error(message, status: int) -> JsonResponse:
    # the body DRF's exception handler writes ({"detail": ...}), so clients read one error format
    return JsonResponse({"detail": str(message)}, status=status)


def bad_request(request, exception=None):
    """handler400 (a suspicious request Django refused before any view, e.g. too many form fields):
    JSON for the API."""
    if _api(request):
        return _json_error(_("The request is malformed."), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _api(request):
        return _json_error(_("You do not have permission to perform this action."), 403)
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    """handler404: an unknown API address answers JSON like an unknown object does."""
    if _api(request):
        return _json_error(_("Not found."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: a database outage is 503 (temporary, retry), anything else the usual 500 page (JSON for
    the API, so that a client's error handling never has to read HTML)."""
    if database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    if _api(request):
        return _json_error(_("Server error: the request failed and was logged. Try again later."), 500)
    return defaults.server_error(request)
