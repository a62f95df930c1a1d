from rest_framework import serializers

# Free text (descriptions, notes, evidence, lessons) is stored in TextFields, which have no length of
# their own; the API refuses more than this with a field message rather than store megabytes of it.
TEXT_MAX_LENGTH = 50_000


class LongTextField(serializers.CharField):
    """A model ``TextField`` in the API: a string of at most ``TEXT_MAX_LENGTH`` characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
        super().__init__(**kwargs)


def install() -> None:
    """Make every ModelSerializer map ``TextField`` to ``LongTextField`` (called once, at start-up)."""
    from django.db import models

    serializers.ModelSerializer.serializer_field_mapping[models.TextField] = LongTextField
