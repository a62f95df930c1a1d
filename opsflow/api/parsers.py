"""The API's JSON parser: DRF's, held to a size and a nesting limit so that no body can make a JSON
endpoint answer 500.

- Size: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django applies it to forms only): a larger body answers 413
  before it is read whole.
- Nesting: ``MAX_JSON_DEPTH`` levels of arrays and objects. Python's decoder recurses once per level
  and raises ``RecursionError`` at about 1,000 levels (fewer inside a request's stack): 2 KB of
  ``[[[[…`` was a server error. The depth is measured before decoding, in linear time and without
  recursion (``json_too_deep``), and a deeper body answers 400 with a message; ``RecursionError`` is
  still caught as a last guard.

Code that decodes a body itself calls ``parse_json`` to get the same limits and the same 400.
"""

import itertools
import json
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

from .exceptions import RequestTooLarge

# No payload OpsFlow accepts nests deeper than 5 levels (an event batch: batch > events > event >
# data > values); 64 leaves room for clients' own JSON in free-form fields.
MAX_JSON_DEPTH = 64

# a JSON string (escapes included), whose brackets are text, not structure
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of ``text`` nest (0 for a scalar). Linear in the length; the
    text need not be valid JSON (what is invalid is refused by the decoder afterwards, and up to the
    first mistake this count is exact)."""
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(0, max(itertools.accumulate(map(_STEP.__getitem__, brackets))))


def json_too_deep(text: str) -> bool:
    # fewer opening brackets than the limit cannot nest deeper (most bodies: no scan at all)
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    return json_depth(text) > MAX_JSON_DEPTH


def too_deep_message():
    return _("The JSON body nests arrays and objects more than %(depth)s levels deep; send a flatter body.") % {
        "depth": MAX_JSON_DEPTH
    }


def parse_json(text: str, *, strict: bool = True):
    """Decode a request body with the API's limits: ``ParseError`` (400) for invalid or too deeply
    nested JSON, never ``RecursionError``."""
    if json_too_deep(text):
        raise exceptions.ParseError(too_deep_message())
    try:
        return json.loads(text, parse_constant=_strict_constant if strict else None)
    except RecursionError:
        raise exceptions.ParseError(too_deep_message()) from None
    except ValueError as exc:
        raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None


def _strict_constant(value):
    raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        body = b"" if stream is None else self._read(stream, parser_context.get("request"))
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        return parse_json(text, strict=self.strict)

    @staticmethod
    def _read(stream, request) -> bytes:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None:
            return stream.read()
        meta = request.META if request is not None else {}
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise RequestTooLarge()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge()
        return body
