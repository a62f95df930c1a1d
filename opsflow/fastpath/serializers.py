"""``CachedFields``: a read-only serializer's fields built once per process and copied per instance.

It stands in for DRF's ``Serializer.fields`` / ``get_fields``: for a ``ModelSerializer`` DRF derives
every field from the model's metadata (``ModelSerializer.get_fields``, ``build_field`` ...) anew for
each serializer instance, which is for each item of a response and each step completion's answer.
Measured in docs/benchmarks.md, "REST completions under load (performance issue)" (the API change)
and "2026-12-01 02:00-02:45 UTC" (the shallow copies). Switch ``cached_fields`` off
(``opsflow.fastpath.switches``) and DRF builds the fields for each instance again.

Only for serializers whose fields are the same for every instance and context: all read-only, no
``get_fields`` of their own that depends on the request or the instance. Binding a field to a
serializer only assigns attributes, so a shallow copy of each is enough (a deep copy builds every
field again from its arguments).

Example::

    class WorkItemSerializer(CachedFields, serializers.ModelSerializer):
        class Meta:
            model = WorkItem
            fields = [...]
            read_only_fields = fields
"""

from __future__ import annotations

import copy

from .switches import enabled


class CachedFields:
    """Serializer mixin (before the DRF serializer class): ``get_fields`` built once per class."""

    def get_fields(self):
        if not enabled("cached_fields"):
            return super().get_fields()
        built = type(self).__dict__.get("_opsflow_built_fields")  # this class's own, not a parent's
        if built is None:
            built = super().get_fields()
            type(self)._opsflow_built_fields = built
        return {name: copy.copy(field) for name, field in built.items()}
