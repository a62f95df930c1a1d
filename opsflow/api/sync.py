"""Sync plumbing shared by the API: ``updated_since`` on every list, and ETags with ``If-Match`` on edits.

``updated_since`` is a filter backend (in ``DEFAULT_FILTER_BACKENDS``), so every list endpoint has
it. A view names the timestamps that move when a row's representation changes in
``updated_since_fields`` (default: the model's ``updated_at``, else all its date-time columns); with
several, a row matches when any of them is at or after the moment. Paths through a to-many
relation (``items__updated_at``: a run changes when one of its steps does) are matched through a
subquery, so rows never repeat.

``ETagMixin`` gives detail responses (GET, PUT, PATCH) an ``ETag``: a hash of the object's
representation (computed in the site's default language, without method fields such as counts or
"late" flags that change with time rather than with edits). A PUT or PATCH that sends ``If-Match``
with another value answers 412 and changes nothing; without ``If-Match`` the write proceeds (last
write wins), so browsers and simple clients keep working. The check and the write run in one
transaction with the row locked, so two clients holding the same ETag cannot both win.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import DateTimeField, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.filters import BaseFilterBackend
from rest_framework.utils.encoders import JSONEncoder

UPDATED_SINCE = "updated_since"
ETAG_ACTIONS = ("retrieve", "update", "partial_update")
WRITE_ACTIONS = ("update", "partial_update")


# updated_since
# ------------------------------------------------------------------------------


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def parse_moment(value: str, field: str = UPDATED_SINCE) -> datetime:
    """An ISO 8601 date-time (a date means its midnight; no offset means the site's time zone)."""
    text = value.strip()
    try:
        moment = parse_datetime(text)
        if moment is None and " " in text:
            # "+08:00" arrives as " 08:00" when the client forgot to encode the plus sign
            head, _sep, tail = text.rpartition(" ")
            moment = parse_datetime(f"{head}+{tail}")
        if moment is None:
            day = parse_date(text)
            moment = datetime.combine(day, time.min) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise exceptions.ValidationError(
            {field: [_("Give an ISO 8601 date and time, e.g. 2026-10-01T08:00:00+08:00 (encode + as %2B).")]}
        )
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment = moment.astimezone(UTC)  # the database compares in UTC: 0001-01-01 east of Greenwich is before it
    except OverflowError:
        raise exceptions.ValidationError({field: [_("This date and time is out of range.")]}) from None
    # Nothing in OpsFlow is older than 1900 or newer than 2999: outside, a moment means "everything" or
    # "nothing" (PostgreSQL cannot compare a timestamp with far-away local mean time offsets).
    return min(max(moment, EARLIEST), LATEST)


def plausible_moment(value: date) -> None:
    """A validator for dates and moments a client reports: years 1900 to 2999 (far ones are typing
    mistakes, and before 1900 time zones have local mean time offsets, such as +08:05:43, that no
    ISO 8601 client can read back)."""
    if not 1900 <= value.year <= 2999:
        raise serializers.ValidationError(_("Give a date between the years 1900 and 2999."))


def updated_since_fields(view, model) -> tuple[str, ...]:
    """The view's ``updated_since_fields``; else ``updated_at``; else, for a table without one, every
    date-time column of the row (a row is listed when any of its times is at or after the moment:
    more than changed, never less than what moved a time)."""
    fields = getattr(view, "updated_since_fields", None)
    if fields:
        return tuple(fields)
    concrete = [f for f in model._meta.concrete_fields if isinstance(f, DateTimeField)]
    if any(f.name == "updated_at" for f in concrete):
        return ("updated_at",)
    if concrete:
        return tuple(f.name for f in concrete)
    raise ImproperlyConfigured(f"{type(view).__name__} lists {model.__name__}: set updated_since_fields.")


def filter_updated_since(queryset, fields, moment):
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__gte": moment})
    if any("__" in name for name in fields):
        changed = queryset.model._default_manager.filter(condition).values("pk")
        return queryset.filter(pk__in=changed)
    return queryset.filter(condition)


class UpdatedSinceFilter(BaseFilterBackend):
    """``?updated_since=``: only the rows created or changed at or after that moment (inclusive)."""

    description = _(
        "Only rows created or changed at or after this moment (ISO 8601; inclusive). Deletions are "
        "listed at /api/v1/org/deletions/."
    )

    def filter_queryset(self, request, queryset, view):
        value = request.query_params.get(UPDATED_SINCE, "")
        if getattr(view, "action", None) != "list" or not value:
            return queryset
        return filter_updated_since(queryset, updated_since_fields(view, queryset.model), parse_moment(value))

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": UPDATED_SINCE,
                "required": False,
                "in": "query",
                "description": str(self.description),
                "schema": {"type": "string", "format": "date-time"},
            }
        ]


# ETag / If-Match
# ------------------------------------------------------------------------------


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _(
        "The object changed since you read it: GET it again, apply your change to the new version and "
        "send its ETag in If-Match."
    )
    default_code = "precondition_failed"


def if_match_ok(header: str, etag: str) -> bool:
    """``If-Match: *`` or a list of ETags; weak and strong forms are compared alike (proxies that
    compress a response weaken its ETag)."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
    return "*" in tags or etag in tags


class ETagMixin:
    """Optimistic concurrency for a viewset's detail endpoints (see the module docstring)."""

    def etag(self, instance) -> str:
        serializer = self.get_serializer(instance)
        # the stored fields only: method fields are derived (and may cost queries), so they are not run
        derived = [
            name for name, field in serializer.fields.items() if isinstance(field, serializers.SerializerMethodField)
        ]
        for name in derived:
            del serializer.fields[name]
        with translation.override(settings.LANGUAGE_CODE):
            payload = json.dumps(serializer.data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
        return f'"{hashlib.sha256(payload.encode()).hexdigest()[:32]}"'

    def _if_match(self) -> str:
        return self.request.META.get("HTTP_IF_MATCH", "") if self.action in WRITE_ACTIONS else ""

    def dispatch(self, request, *args, **kwargs):
        if request.method in ("PUT", "PATCH") and request.META.get("HTTP_IF_MATCH"):
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        if_match = self._if_match()
        if if_match and not getattr(self, "_etag_checked", False):
            self._etag_checked = True
            model = self.get_queryset().model
            lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            with contextlib.suppress(TypeError, ValueError, DjangoValidationError):  # a bad id: 404 below
                list(model._default_manager.select_for_update().filter(pk=lookup).values_list("pk"))
            instance = super().get_object()
            if not if_match_ok(if_match, self.etag(instance)):
                raise PreconditionFailed()
            return instance
        instance = super().get_object()
        self._etag_object = instance
        return instance

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "action", None) in ETAG_ACTIONS and 200 <= response.status_code < 300:
            try:
                # after a write, the stored state (services may have changed more than was sent)
                instance = self._etag_object if self.action == "retrieve" else super().get_object()
            except (AttributeError, Http404, exceptions.APIException):
                return response
            response["ETag"] = self.etag(instance)
        return response
