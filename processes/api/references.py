"""References in API writes: every related field names only objects the caller may read.

``ScopedReferences`` narrows the queryset of each writable ``PrimaryKeyRelatedField`` or
``SlugRelatedField`` (single, ``many=True`` and inside nested serializers) to
``access.referable(request.user, ...)``, so naming another department's process answers the same 400
"Invalid pk - object does not exist." as an id that was never there. Without a request in the context
nothing is referable: a serializer used outside a request fails closed.
"""

from rest_framework import serializers

from .. import access

SCOPED_MARK = "_opsflow_scoped"


def narrow(field, user) -> None:
    """Narrow ``field`` (and what it holds) to what ``user`` may reference, in place."""
    if isinstance(field, serializers.ManyRelatedField):
        narrow(field.child_relation, user)
        setattr(field, SCOPED_MARK, True)
        return
    if isinstance(field, serializers.ListSerializer):
        if not field.read_only:
            narrow(field.child, user)
        return
    if isinstance(field, serializers.BaseSerializer):
        if not field.read_only:
            # a nested serializer is not bound to its parent yet: hand it the user for its own fields
            field._opsflow_user = user
            for child in field.fields.values():
                narrow(child, user)
        return
    if isinstance(field, serializers.RelatedField) and not field.read_only and field.queryset is not None:
        field.queryset = access.referable(user, field.queryset) if user is not None else field.queryset.none()
        setattr(field, SCOPED_MARK, True)


class ScopedReferences:
    """Serializer mixin: the related fields accept only objects in the request user's scope."""

    def get_fields(self):
        fields = super().get_fields()
        if hasattr(self, "_opsflow_user"):
            user = self._opsflow_user
        else:
            user = getattr(self.context.get("request"), "user", None)
        for field in fields.values():
            narrow(field, user)
        return fields
