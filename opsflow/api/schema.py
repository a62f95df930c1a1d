"""drf-spectacular's AutoSchema, plus what ``opsflow.api.sync`` adds to every operation it touches:
the ``ETag`` response header of detail endpoints, the ``If-Match`` request header and the 412 answer
of edits; and the error answers each operation really gives (``error_responses``: 400, 401, 403, 404,
409, 413, 415 derived from the view; 429 and 503 everywhere), with the bodies the exception handler
writes (components ``ErrorDetail`` and ``ValidationErrorBody``). Two corrections keep the schema
truthful (found by the schemathesis run, tests/api): only ``list`` actions are paginated (a detail
action that answers a list answers a plain list), and a read-only choice of a model field that may be
blank admits "" (DRF drops ``allow_blank`` from read-only fields)."""

import copy
import inspect
import re

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import permissions, serializers

from .sync import ETAG_ACTIONS, WRITE_ACTIONS, ETagMixin

PreconditionFailedSerializer = inline_serializer("PreconditionFailed", {"detail": serializers.CharField()})


class AutoSchema(openapi.AutoSchema):
    def _get_paginator(self):
        if getattr(self.view, "action", "list") not in ("list", None):
            return None
        return super()._get_paginator()

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        choice = isinstance(field, serializers.ChoiceField)
        if choice and field.read_only and not field.allow_blank and _model_field_blank(field):
            field = copy.copy(field)
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _etag_action(self):
        return isinstance(self.view, ETagMixin) and getattr(self.view, "action", None) in ETAG_ACTIONS

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._etag_action():
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    str,
                    OpenApiParameter.HEADER,
                    response=[200],
                    description="Send it back in If-Match to change the object only if nobody changed it since.",
                )
            )
            if self.view.action in WRITE_ACTIONS:
                parameters.append(
                    OpenApiParameter(
                        "If-Match",
                        str,
                        OpenApiParameter.HEADER,
                        description="The ETag of the version you edited; another one answers 412. "
                        "Without it the write proceeds.",
                    )
                )
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None:
            for code, response in self.error_responses(operation).items():
                operation["responses"].setdefault(code, response)  # what a view declares itself wins
        return operation

    def error_responses(self, operation) -> dict:
        """The 4xx answers this operation can give, from what its view does: authentication (401),
        permissions (403), a path parameter or a cursor (404), a body or query parameters (400), a body
        (413 too large, 415 not JSON), a conflict of state (409: deletes of referenced objects, and
        handlers that raise ``Conflict``)."""
        view, action = self.view, getattr(self.view, "action", None)
        has_body = "requestBody" in operation or self.method in ("POST", "PUT", "PATCH")
        query = any(parameter.get("in") == "query" for parameter in operation.get("parameters", ()))
        responses = {}
        if has_body or query:
            responses["400"] = _error(
                'Invalid input: messages per field (`{"field": ["..."]}`, `non_field_errors` for the whole '
                'body), or `{"detail": "..."}` for a body that is not JSON or nests too deeply.',
                VALIDATION_ERROR,
            )
        if view.get_authenticators():
            responses["401"] = _error("No credentials, or an invalid, expired or revoked API token.")
        if any(not isinstance(permission, permissions.AllowAny) for permission in view.get_permissions()):
            responses["403"] = _error("Your roles do not allow this (or, with a session, the CSRF check failed).")
        if "{" in self.path or self._get_paginator() is not None:
            responses["404"] = _error("Not found, or outside your departments (or an invalid cursor).")
        if self._conflicts(action):
            responses["409"] = _error("A conflict of state: reload the object and try again.")
        if has_body:
            responses["413"] = _error("The request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.")
            responses["415"] = _error("The body is not sent as application/json.")
        return responses

    def _conflicts(self, action) -> bool:
        if action == "destroy" or self.method == "DELETE":
            return True  # a referenced object cannot be deleted (ProtectedError -> 409)
        handlers = [getattr(self.view, action, None) if action else getattr(self.view, self.method.lower(), None)]
        if action == "create":
            handlers.append(getattr(self.view, "perform_create", None))
        elif action in ("update", "partial_update"):
            handlers.append(getattr(self.view, "perform_update", None))
        return any(_raises_conflict(handler) for handler in handlers if handler is not None)

    def get_response_serializers(self):
        response = super().get_response_serializers()
        if self._etag_action() and self.view.action in WRITE_ACTIONS and not isinstance(response, dict):
            return {
                200: response,
                412: OpenApiResponse(PreconditionFailedSerializer, description="If-Match differs from the ETag."),
            }
        return response


ERROR_DETAIL = "ErrorDetail"
VALIDATION_ERROR = "ValidationErrorBody"


def _error(description: str, component: str = ERROR_DETAIL) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


_RAISES_CONFLICT = re.compile(r"\braise\s+\w*Conflict\w*\b")


def _raises_conflict(handler) -> bool:
    """Does the handler's code, or a decorator wrapped around it, raise ``Conflict`` (409, however
    imported)? Read from the source, so a new ``raise ConflictError(...)`` in a view is declared without
    a schema decorator."""
    function, seen = getattr(handler, "__func__", handler), set()
    while function is not None and id(function) not in seen:
        seen.add(id(function))
        code = getattr(function, "__code__", None)
        if code is not None:
            try:
                if _RAISES_CONFLICT.search(inspect.getsource(code)):
                    return True
            except (OSError, TypeError):
                pass
        function = getattr(function, "__wrapped__", None)
    return False


def _model_field_blank(field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False


def declare_common_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error components, and on every operation 429 (throttled)
    and 503 (database out of reach); every operation with a body 413 (too large)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        ERROR_DETAIL,
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    )
    components.setdefault(
        VALIDATION_ERROR,
        {
            "type": "object",
            "description": "The exception handler's 400 body: each field with its messages (a nested field "
            "or a list nests them the same way), `non_field_errors` for the body as a whole, or `detail` "
            "when the body could not be read.",
            "properties": {
                "detail": {"type": "string"},
                "non_field_errors": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": {},
        },
    )
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault(
                "429", {"description": "Too many requests: slow down and retry later.", "content": reference}
            )
            responses.setdefault(
                "503",
                {
                    "description": "The database cannot be reached right now (restart, fail-over): nothing was "
                    "done; retry after the Retry-After header's seconds.",
                    "content": reference,
                },
            )
            if "requestBody" in operation or method in ("post", "put", "patch"):
                responses.setdefault("413", {"description": "The request body is too large.", "content": reference})
    return result
