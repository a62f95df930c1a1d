import io

from django.conf import settings
from rest_framework import parsers

from .exceptions import RequestTooLarge


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser held to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (Django applies it to forms only): a
    larger body answers 413 before it is read whole."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            request = (parser_context or {}).get("request")
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
            stream = io.BytesIO(body)
        return super().parse(stream, media_type, parser_context)
