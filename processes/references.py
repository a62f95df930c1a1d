"""References in forms: every choice of another object lists only objects the user may read.

``ScopedReferencesForm`` narrows the queryset of each ``ModelChoiceField`` and
``ModelMultipleChoiceField`` to ``access.referable(user, ...)`` (after the form's own narrowing), so an
out-of-scope id posted by hand gets Django's "Select a valid choice" like an id that does not exist.
A form calls ``self.narrow_references(user)`` at the end of its ``__init__``; with no user nothing is
referable (fail closed).
"""

from django import forms

from . import access


class ScopedReferencesForm:
    def narrow_references(self, user) -> None:
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                queryset = field.queryset
                field.queryset = access.referable(user, queryset) if user is not None else queryset.none()
