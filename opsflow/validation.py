"""Bounds every date and number people type must respect, shared by the pages, the API and the imports.

Dates: years 1900 to 2999 (the window ``opsflow.api.sync`` already held reported moments to). A year 1 or
9999 is a typing mistake, and date arithmetic on it overflows (a deadline of 9999-12-31 plus a day is
an ``OverflowError``, a 500). ``install()`` puts the check on every date and date-time field of the
forms and of the API serializers, so a new field cannot forget it and no model field (no migration)
has to change.

Whole numbers: ``MAX_INTEGER`` is PostgreSQL's 32-bit ``integer``; SQLite stores 64 bits, so a number
Django lets through on SQLite can overflow the column on PostgreSQL: bounded fields say so themselves.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

YEAR_MIN = 1900
YEAR_MAX = 2999
MAX_INTEGER = 2**31 - 1

DATE_WINDOW_MESSAGE = _("Give a date between the years 1900 and 2999.")


def validate_date_window(value: date) -> None:
    """A date or date-time in the years 1900 to 2999."""
    if value is not None and not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValidationError(DATE_WINDOW_MESSAGE, code="date_out_of_range")


def install() -> None:
    """Every form ``DateField``/``DateTimeField`` checks the window (called once, at start-up).

    ``default_validators`` is the documented hook of a form field class; subclasses (the admin's
    widgets, ``SplitDateTimeField``'s parts) inherit it. The API side is ``opsflow.api.fields.install``.
    """
    from django import forms

    for field_class in (forms.DateField, forms.DateTimeField):
        if validate_date_window not in field_class.default_validators:
            field_class.default_validators = [*field_class.default_validators, validate_date_window]
