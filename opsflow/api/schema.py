"""drf-spectacular's AutoSchema, plus what ``opsflow.api.sync`` adds to every operation it touches:
the ``ETag`` response header of detail endpoints, the ``If-Match`` request header and the 412 answer
of edits. Two corrections keep the schema truthful (found by the schemathesis run, tests/api):
only ``list`` actions are paginated (a detail action that answers a list answers a plain list), and
a read-only choice of a model field that may be blank admits "" (DRF drops ``allow_blank`` from
read-only fields)."""

import copy

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

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

    def get_response_serializers(self):
        response = super().get_response_serializers()
        if self._etag_action() and self.view.action in WRITE_ACTIONS and not isinstance(response, dict):
            return {
                200: response,
                412: OpenApiResponse(PreconditionFailedSerializer, description="If-Match differs from the ETag."),
            }
        return response


def _model_field_blank(field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False


def declare_common_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation may answer 429 (throttled) and 503 (database
    out of reach), and every operation with a body 413 (too large), with the error body the exception
    handler writes."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        "ErrorDetail",
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
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
