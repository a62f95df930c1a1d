from django.db import models
from rest_framework import serializers

from opsflow import validation
from opsflow.validation import validate_date_window

# Free text (descriptions, notes, evidence, lessons) is stored in TextFields, which have no length of
# their own; the API refuses more than this with a field message rather than store megabytes of it.
TEXT_MAX_LENGTH = 50_000


class LongTextField(serializers.CharField):
    """A model ``TextField`` in the API: a string of at most ``TEXT_MAX_LENGTH`` characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", TEXT_MAX_LENGTH)
        super().__init__(**kwargs)


class WindowDateField(serializers.DateField):
    """A date in the years 1900 to 2999 (``opsflow.validation``), whatever other validators it has."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [validate_date_window, *self.validators]


class WindowDateTimeField(serializers.DateTimeField):
    """A date and time in the years 1900 to 2999 (``opsflow.validation``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [validate_date_window, *self.validators]


def install() -> None:
    """Make every ModelSerializer map ``TextField`` to ``LongTextField`` and date fields to the windowed
    ones, and every form date field check the window (called once, at start-up)."""
    mapping = serializers.ModelSerializer.serializer_field_mapping
    mapping[models.TextField] = LongTextField
    mapping[models.DateField] = WindowDateField
    mapping[models.DateTimeField] = WindowDateTimeField
    validation.install()
