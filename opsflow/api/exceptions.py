from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from opsflow.errors import RETRY_AFTER_SECONDS, database_unavailable, database_unavailable_message


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object changed state; reload it and try again."
    default_code = "conflict"


class ServiceUnavailable(exceptions.APIException):
    """The database cannot be reached right now (restart, fail-over): retry later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "database_unavailable"

    def __init__(self, detail=None, code=None):
        super().__init__(detail or database_unavailable_message(), code)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, detail=None, code=None):
        if detail is None:
            detail = _("The request body is larger than %(mb)s MB; send it in smaller batches.") % {
                "mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024, 1)
            }
        super().__init__(detail, code)


def exception_handler(exc, context):
    """DRF's handler, plus model ValidationError -> 400 with field messages, ProtectedError -> 409,
    a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` -> 413, the database out of reach -> 503 with Retry-After."""
    # imported here: rest_framework.views loads the parsers named in the settings, which import this module
    from rest_framework.views import exception_handler as drf_exception_handler

    if database_unavailable(exc):
        exc = ServiceUnavailable()
        exc.wait = RETRY_AFTER_SECONDS
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, ProtectedError):
        exc = Conflict("The object is still referenced and cannot be deleted.")
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return Response(response.data, status=response.status_code, headers=dict(response.items()))
