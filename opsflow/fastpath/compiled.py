"""Statements of one fixed shape, compiled to SQL once per process and run with each call's values:
the hot path of a step completion, which runs them on every request.

- ``CompiledRead``: Django compiles a queryset anew every time it is evaluated. For the locking read of
  a step completion (the work item with its viewflow task and process: 53 columns over 3 tables,
  ``FOR UPDATE ... NOWAIT``) that compilation was a large share of a REST completion's CPU
  (docs/benchmarks.md, "2026-12-01 06:25-07:45 UTC").
  ``CompiledRead`` compiles the queryset once with stand-in values, then runs the same SQL with the real
  ones and turns the rows into model instances exactly as Django's ``ModelIterable`` does, with the
  compiler's own converters and select_related populators. Only plain equality and ``__in`` values may
  vary; each distinct number of values (e.g. a department list's length) is its own shape. The values
  are strings or ids: an id outside 1 to 2**63 - 1 (which no row has, and which the database would
  refuse as a bigint) is run as -1, which no row has either, as the ORM answers such a lookup with no rows.
- ``CompiledInsert``: whole rows into one table, for the audit rows and viewflow's task links.
- ``execute``: on PostgreSQL both run as server-side prepared statements, planned once per connection
  (planning cost the server more than running them: docs/benchmarks.md, "2026-12-01 11:00-23:40 UTC").

Switches (``opsflow.fastpath.switches``): ``compiled_read`` off runs the queryset itself,
``compiled_insert`` off ``bulk_create``, ``compiled_saves`` off Django's ``_do_update``/``_do_insert``;
``OPSFLOW_PREPARED_STATEMENTS=false`` sends every statement as text.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re

from django.conf import settings
from django.db import connections
from django.db.models.query import get_related_populators

from .switches import enabled

# Stand-ins: negative ids no row has. Each value of a shape gets its own, so the compiled parameter
# list says which value goes where, whatever order Django writes the conditions in.
_STAND_IN_BASE = -7_000_000_000
_MAX_ID = 2**63 - 1


def execute(cursor, sql, params):
    """``cursor.execute(sql, params)``, on PostgreSQL as a prepared statement of the connection.

    PostgreSQL plans a statement anew each time it receives its text; a prepared one is planned once
    per connection and then reuses its plan (``plan_cache_mode``). psycopg2 sends every query as text,
    so the statement is prepared with SQL: ``PREPARE`` once per database connection (a new connection,
    after a restart or ``CONN_MAX_AGE``, prepares it again), then ``EXECUTE`` with the values, which
    psycopg2 quotes as for any query. ``sql`` is fixed SQL with Django's ``%s`` placeholders in which
    every placeholder's type follows from its context (a column it is compared with). A prepared
    statement is not undone by a rollback, so a failed transaction leaves nothing to repair. Not for a
    connection pooler in transaction mode (PgBouncer), which hands one session's statements to another
    server session: ``OPSFLOW_PREPARED_STATEMENTS=false`` turns this off (docs/operations.md)."""
    db = cursor.db
    if db.vendor != "postgresql" or not settings.OPSFLOW_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    name, prepare, run = _prepared(sql, len(params))
    raw = db.connection
    known = db.__dict__.get("_opsflow_prepared")
    if known is None or known[0] is not raw:  # a new server session has no prepared statements
        known = db._opsflow_prepared = (raw, set())
    if name not in known[1]:
        cursor.execute(prepare)
        known[1].add(name)
    cursor.execute(run, params)


_PLACEHOLDER = re.compile(r"%[s%]")


@functools.lru_cache(maxsize=64)
def _prepared(sql, count):
    numbers = itertools.count(1)
    body = _PLACEHOLDER.sub(lambda m: f"${next(numbers)}" if m.group() == "%s" else "%", sql)
    if next(numbers) != count + 1:
        raise ValueError(f"prepared statement: {count} values for a statement with another number of placeholders")
    name = "opsflow_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    run = f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
    return name, f"PREPARE {name} AS {body}", run


def _id(value):
    return value if 0 < value <= _MAX_ID else -1


class CompiledRead:
    def __init__(self, build):
        """``build(*values)`` returns the queryset for those values; each value is an int, a str, or a
        tuple of ints (compiled per length)."""
        self._build = build
        self._shapes = {}

    def __call__(self, *values, using="default"):
        if not enabled("compiled_read"):
            return list(self._build(*values).using(using))
        shape = (using, tuple(_kind(v) for v in values))
        compiled = self._shapes.get(shape)
        if compiled is None:
            compiled = self._shapes[shape] = _Compiled(self._build, shape[1], using)
        return compiled.run(values)


def _kind(value):
    return len(value) if isinstance(value, tuple) else "str" if isinstance(value, str) else None


class _Compiled:
    def __init__(self, build, kinds, using):
        counter = itertools.count()

        def stand_in(kind):
            number = next(counter)
            return f"opsflow-stand-in-{number}" if kind == "str" else _STAND_IN_BASE - number

        stand_ins = [tuple(stand_in(None) for _ in range(k)) if isinstance(k, int) else stand_in(k) for k in kinds]
        queryset = build(*stand_ins)
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        flat = [s for v in stand_ins for s in (v if isinstance(v, tuple) else (v,))]
        position = {s: i for i, s in enumerate(flat)}
        if len(params) != len(flat) or set(params) != set(flat):
            raise ValueError("CompiledRead: the query has parameters other than the values it is built from")
        self.order = [position[p] for p in params]
        self.compiler, self.using = compiler, using
        klass_info, select = compiler.klass_info, compiler.select
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, using)
        # each column's converters, derived once as results_iter derives them on every call
        # (docs/benchmarks.md, "2026-12-01 11:00-23:40 UTC", its last change)
        columns = [s[0] for s in select[0 : compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError("CompiledRead: composite fields are not supported")
        self.converters = compiler.get_converters(columns)

    def run(self, values):
        flat = [s if isinstance(s, str) else _id(s) for v in values for s in (v if isinstance(v, tuple) else (v,))]
        with connections[self.using].cursor() as cursor:
            execute(cursor, self.sql, [flat[i] for i in self.order])
            rows = cursor.fetchall()
        objects = []
        # the compiler (shared by the threads of a process) only reads here: its converters, derived
        # once from its connection's backend operations, which make no query
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        for row in rows:
            obj = self.model.from_db(self.using, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects


class CompiledInsert:
    """``INSERT`` of whole rows into a model's table for a fixed list of columns, its SQL written once
    per number of rows and run by ``execute`` (prepared on PostgreSQL).

    For rows written on every step completion (the audit rows, viewflow's task links): ``bulk_create``
    builds a model instance per row and compiles its statement each time. Values go through each
    field's ``get_db_prep_save``, as ``bulk_create`` and ``save`` do; the table's defaults (its id) fill
    the other columns. Nothing is returned and no signal is sent, as with ``bulk_create``."""

    def __init__(self, model, attnames):
        by_attname = {field.attname: field for field in model._meta.concrete_fields}
        self.fields = [by_attname[name] for name in attnames]
        self.table = model._meta.db_table
        self._sql = {}

    def __call__(self, rows, using="default"):
        if not enabled("compiled_insert"):
            model = self.fields[0].model
            attnames = [field.attname for field in self.fields]
            objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
            model._base_manager.using(using).bulk_create(objects)
            return
        connection = connections[using]
        params = [
            field.get_db_prep_save(value, connection=connection)
            for row in rows
            for field, value in zip(self.fields, row, strict=True)
        ]
        sql = self._sql.get((using, len(rows)))
        if sql is None:
            quote = connection.ops.quote_name
            values = f"({', '.join(['%s'] * len(self.fields))})"
            sql = self._sql[(using, len(rows))] = (
                f"INSERT INTO {quote(self.table)} ({', '.join(quote(f.column) for f in self.fields)}) "  # nosec B608
                f"VALUES {', '.join([values] * len(rows))}"  # (names from the model, values are parameters)
            )
        with connection.cursor() as cursor:
            execute(cursor, sql, params)


class CompiledSaves:
    """Model mixin: the ``UPDATE`` and ``INSERT`` that ``save()`` sends are written once per set of
    columns and run by ``execute`` (prepared on PostgreSQL), instead of compiled by Django on every save.

    Only Django's last step is replaced (``Model._do_update`` and ``_do_insert``): ``save()``,
    ``update_fields``, ``pre_save`` (``auto_now``), the signals and the returned id stay Django's. Values
    are prepared by each field's ``get_db_prep_save``, as Django's compilers do; a save it does not
    cover (an expression such as ``F()`` as a value, a field with its own placeholder, ``select_on_save``,
    a filtered base manager, a backend that cannot return the new id) goes to Django unchanged."""

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        meta = base_qs.model._meta  # the table being saved (a parent's, under multi-table inheritance)
        pairs = [(field, value) for field, _model, value in values]
        plain = pairs and not meta.select_on_save and not base_qs.query.where and _plain(pairs)
        if not plain or not enabled("compiled_saves"):
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        connection = connections[using]
        sql = _update_sql(using, meta.db_table, meta.pk.column, tuple(field.column for field, _value in pairs))
        params = [field.get_db_prep_save(value, connection=connection) for field, value in pairs]
        params.append(meta.pk.get_db_prep_value(pk_val, connection))
        with connection.cursor() as cursor:
            execute(cursor, sql, params)
            return cursor.rowcount > 0

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        connection = connections[using]
        if not enabled("compiled_saves"):
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        pairs = [(field, getattr(self, field.attname) if raw else field.pre_save(self, add=True)) for field in fields]
        if not pairs or not _plain(pairs) or not connection.features.can_return_columns_from_insert:
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        table = manager.model._meta.db_table
        returning_sql, returning_params = connection.ops.return_insert_columns(returning_fields or [])
        sql = _insert_sql(using, table, tuple(field.column for field, _value in pairs), returning_sql)
        params = [field.get_db_prep_save(value, connection=connection) for field, value in pairs]
        with connection.cursor() as cursor:
            execute(cursor, sql, [*params, *returning_params])
            if not returning_fields:
                return []
            row = connection.ops.fetch_returned_insert_columns(cursor, returning_params)
        converted = []
        for field, value in zip(returning_fields, row, strict=True):
            column = field.get_col(table)
            for converter in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
                value = converter(value, column, connection)
            converted.append(value)
        return [tuple(converted)]


def _plain(pairs):
    """Every value a plain one (no expression, no model instance) for a field without its own placeholder."""
    return not any(
        hasattr(field, "get_placeholder") or hasattr(value, "resolve_expression") or hasattr(value, "_meta")
        for field, value in pairs
    )


@functools.lru_cache(maxsize=256)
def _update_sql(using, table, pk_column, columns):
    quote = connections[using].ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    return f"UPDATE {quote(table)} SET {assignments} WHERE {quote(table)}.{quote(pk_column)} = %s"  # nosec B608


@functools.lru_cache(maxsize=256)
def _insert_sql(using, table, columns, returning_sql):
    quote = connections[using].ops.quote_name
    names = ", ".join(quote(column) for column in columns)  # names from the model, values are parameters
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # nosec B608
    return f"{sql} {returning_sql}" if returning_sql else sql
