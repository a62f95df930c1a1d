"""A queryset of one fixed shape, compiled to SQL once per process and run with each call's values.

Django compiles a queryset anew every time it is evaluated. For the locking read of a step completion
(the work item with its viewflow task and process: 53 columns over 3 tables, ``FOR UPDATE ... NOWAIT``)
that compilation was a sixth of the CPU of a whole REST completion. ``CompiledRead`` compiles the
queryset once with stand-in values, then runs the same SQL with the real ones and turns the rows into
model instances exactly as Django's ``ModelIterable`` does, with the compiler's own converters and
select_related populators. Only plain equality and ``__in`` values may vary; each distinct number of
values (e.g. a department list's length) is its own shape. The values are ids: one outside 1 to 2**63 - 1
(which no row has, and which the database would refuse as a bigint) is run as -1, which no row has either,
as the ORM answers such a lookup with no rows.
"""

from __future__ import annotations

import itertools

from django.db import connections
from django.db.models.query import get_related_populators

# Stand-ins: negative ids no row has. Each value of a shape gets its own, so the compiled parameter
# list says which value goes where, whatever order Django writes the conditions in.
_STAND_IN_BASE = -7_000_000_000
_MAX_ID = 2**63 - 1


def _id(value):
    return value if 0 < value <= _MAX_ID else -1


class CompiledRead:
    def __init__(self, build):
        """``build(*values)`` returns the queryset for those values; each value is an int or a tuple
        of ints (compiled per length)."""
        self._build = build
        self._shapes = {}

    def __call__(self, *values, using="default"):
        shape = (using, tuple(len(v) if isinstance(v, tuple) else None for v in values))
        compiled = self._shapes.get(shape)
        if compiled is None:
            compiled = self._shapes[shape] = _Compiled(self._build, shape[1], using)
        return compiled.run(values)


class _Compiled:
    def __init__(self, build, lengths, using):
        counter = itertools.count()
        stand_ins = [
            tuple(_STAND_IN_BASE - next(counter) for _ in range(n)) if n is not None else _STAND_IN_BASE - next(counter)
            for n in lengths
        ]
        queryset = build(*stand_ins)
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        flat = [s for v in stand_ins for s in (v if isinstance(v, tuple) else (v,))]
        position = {s: i for i, s in enumerate(flat)}
        if sorted(params) != sorted(flat) or len(set(params)) != len(params):
            raise ValueError("CompiledRead: the query has parameters other than the values it is built from")
        self.order = [position[p] for p in params]
        self.compiler, self.using = compiler, using
        klass_info, select = compiler.klass_info, compiler.select
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, using)

    def run(self, values):
        flat = [_id(s) for v in values for s in (v if isinstance(v, tuple) else (v,))]
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, [flat[i] for i in self.order])
            rows = cursor.fetchall()
        objects = []
        # the compiler (shared by the threads of a process) only reads here: its select list, and the
        # converters it derives from its connection's backend operations, which make no query
        for row in self.compiler.results_iter(results=[rows]):
            obj = self.model.from_db(self.using, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects
