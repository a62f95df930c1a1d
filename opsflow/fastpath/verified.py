"""What the fast path was verified on: the libraries' versions and a fingerprint of every internal it
overrides, copies or relies on. ``tests/opsflow/test_upstream.py`` fails when one of them moves.

Re-verifying after an upgrade:

1. read the library's diff for each internal the test names (``git diff <old>..<new> -- <file>``
   upstream), and check what its ``check`` says still holds;
2. run the fast path's tests (``tests/opsflow/test_fastpath.py``, ``tests/processes/test_compiled.py``,
   the query-count tests) and ``make bench``, and compare with the section of docs/benchmarks.md the
   index (``opsflow/fastpath/__init__.py``) names for the trick;
3. update ``VERSIONS`` and the internal's ``source`` and ``signature`` below (the failing test prints
   the new lines; ``python -m opsflow.fastpath.verified`` prints the whole table as installed), or,
   if the internal changed in a way the trick cannot follow, switch the trick off
   (``OPSFLOW_FAST_PATH_OFF``, docs/operations.md) until it is adapted.

A fingerprint is the internal's ``inspect.signature`` and the first 16 hex digits of the SHA-256 of its
``inspect.getsource`` (a class: the whole class).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
from dataclasses import dataclass

# the distributions as pip names them, at the versions the tricks were verified on (2026-12-07)
VERSIONS = {
    "django": "5.2.20",
    "django-viewflow": "2.4.0",
    "django-simple-history": "3.13.0",
    "django-rest-knox": "5.1.0",
    "djangorestframework": "3.18.3",
}


@dataclass(frozen=True)
class Internal:
    path: str  # module.Class.attribute
    tricks: tuple[str, ...]  # the index's names (opsflow/fastpath/__init__.py): a switch, or one not switched
    check: str  # what to re-verify when it changes
    source: str
    signature: str


INTERNALS = (
    Internal(
        "django.db.models.base.Model._do_update",
        ("compiled_saves",),
        "Model._save_table still calls _do_update(base_qs, using, pk_val, values, update_fields, forced_update) "
        "with the same meaning; an UPDATE of the given values by pk, rowcount > 0 meaning found",
        "cf249d2906d14339",
        "(self, base_qs, using, pk_val, values, update_fields, forced_update)",
    ),
    Internal(
        "django.db.models.base.Model._do_insert",
        ("compiled_saves",),
        "Model._save_table still calls _do_insert(manager, using, fields, returning_fields, raw) with the same "
        "meaning; returns a list of one tuple of the returning fields' converted values",
        "7fc7e9ecbfc33991",
        "(self, manager, using, fields, returning_fields, raw)",
    ),
    Internal(
        "django.db.models.base.Model._save_table",
        ("compiled_saves",),
        "it still calls _do_update(base_qs, using, pk_val, values, update_fields, forced_update) and "
        "_do_insert(manager, using, fields, returning_fields, raw) as their only writes",
        "2a39268c21f5b8e6",
        "(self, raw=False, cls=None, force_insert=False, force_update=False, using=None, update_fields=None)",
    ),
    Internal(
        "django.db.backends.base.operations.BaseDatabaseOperations.fetch_returned_insert_columns",
        ("compiled_saves",),
        "CompiledSaves._do_insert reads the returned id through it",
        "75cf31e106222235",
        "(self, cursor, returning_params)",
    ),
    Internal(
        "django.db.backends.postgresql.operations.DatabaseOperations.return_insert_columns",
        ("compiled_saves",),
        "the RETURNING clause CompiledSaves appends to its INSERT",
        "7e369757aeb601b5",
        "(self, fields)",
    ),
    Internal(
        "django.db.models.query.ModelIterable.__iter__",
        ("compiled_read",),
        "CompiledRead.run repeats its row -> object steps (from_db over klass_info's select_fields, related "
        "populators, converters); follow any new step",
        "c2a744b8c18e0b4a",
        "(self)",
    ),
    Internal(
        "django.db.models.query.get_related_populators",
        ("compiled_read",),
        "select_related objects are still populated by RelatedPopulator(klass_info, select, db).populate(row, obj)",
        "979430eb75b93969",
        "(klass_info, select, db)",
    ),
    Internal(
        "django.db.models.query.RelatedPopulator",
        ("compiled_read",),
        "populate(row, from_obj) still reads only the row and sets the related object",
        "4cc87fb0e18cb0ce",
        "(klass_info, select, db)",
    ),
    Internal(
        "django.db.models.base.Model.from_db",
        ("compiled_read",),
        "from_db(db, field_names, values) still builds an instance from a row (also used by the API's _command "
        "with the id alone)",
        "eba347895d11fa79",
        "(cls, db, field_names, values)",
    ),
    Internal(
        "django.db.models.sql.compiler.SQLCompiler.results_iter",
        ("compiled_read",),
        "converters are still derived from get_converters over select[0:col_count] and applied by "
        "apply_converters; composite fields still refused",
        "d279d61b80a3a115",
        "(self, results=None, tuple_expected=False, chunked_fetch=False, chunk_size=100)",
    ),
    Internal(
        "django.db.models.sql.compiler.SQLCompiler.get_converters",
        ("compiled_read",),
        "derives each column's converters once, from the backend and the expression",
        "c6c8c1b71882ee8b",
        "(self, expressions)",
    ),
    Internal(
        "django.db.models.sql.compiler.SQLCompiler.apply_converters",
        ("compiled_read",),
        "applies converters to rows without a query",
        "c034ce3e5090aa2e",
        "(self, rows, converters)",
    ),
    Internal(
        "django.db.models.sql.compiler.SQLCompiler.has_composite_fields",
        ("compiled_read",),
        "CompiledRead refuses composite fields with it",
        "0e7a98d5db298748",
        "(self, expressions)",
    ),
    Internal(
        "django.db.models.sql.compiler.SQLCompiler.get_select",
        ("compiled_read",),
        "klass_info ('model', 'select_fields', 'related_klass_infos') and select (col, sql, alias) keep their shape",
        "12c5003d7ab4bf35",
        "(self, with_col_aliases=False)",
    ),
    Internal(
        "django.db.models.fields.mixins.FieldCacheMixin",
        ("listed",),
        "a loaded related object still sits in instance._state.fields_cache under the field's cache name "
        "(WorkItem.save reads the run and its version there)",
        "ee57382bb5d6bc6e",
        "()",
    ),
    Internal(
        "django.db.models.query.QuerySet.bulk_create",
        ("compiled_insert", "batched_history"),
        "CompiledInsert writes what it writes for rows without a primary key (each field's get_db_prep_save; no "
        "signals, nothing returned)",
        "f822e0fc4c40f266",
        "(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False, update_fields=None, "
        "unique_fields=None)",
    ),
    Internal(
        "django.db.models.fields.related_descriptors.create_forward_many_to_many_manager",
        ("step_view", "decided_if"),
        "task.previous.add() of a task saved just now still inserts one row (from_task_id, to_task_id) and sends "
        "no m2m_changed while nobody listens (its fast add)",
        "9daa2aa64d01ba6a",
        "(superclass, rel, reverse)",
    ),
    Internal(
        "django.db.backends.base.base.BaseDatabaseWrapper.connect",
        ("prepared_statements",),
        "a new server session still means a new db.connection object (execute prepares its statements again then)",
        "65ad70c3f9c2250f",
        "(self)",
    ),
    Internal(
        "viewflow.workflow.activation.Activation.create",
        ("decided_if",),
        "IfActivation.create is still this (DecidedIfActivation.create builds the same task row, link and status)",
        "b52afb493d365a66",
        "(cls, flow_task: Any, prev_activation: 'Activation', token: Any, data: Optional[Any] = None, seed: "
        "Optional[Any] = None) -> 'Activation'",
    ),
    Internal(
        "viewflow.workflow.activation.Activation._activate_next",
        ("decided_if",),
        "a task created DONE still skips activate() and complete() (can_proceed) and goes straight to create_next()",
        "a213c7b3732090d7",
        "(self, activations: Set[ForwardRef('Activation')]) -> None",
    ),
    Internal(
        "viewflow.workflow.activation.Activation.complete",
        ("decided_if",),
        "what it does for a gate (finished, save, task_finished) is what DecidedIfActivation.create does",
        "1990e1d40b4bce04",
        "(self) -> None",
    ),
    Internal(
        "viewflow.workflow.nodes.if_gate.IfActivation.activate",
        ("decided_if",),
        "it only evaluates flow_task._condition into _condition_result",
        "942d4a99b0b15cab",
        "(self)",
    ),
    Internal(
        "viewflow.workflow.nodes.if_gate.IfActivation.create_next",
        ("decided_if",),
        "it routes on _condition_result alone",
        "8800f95ca780820c",
        "(self)",
    ),
    Internal(
        "viewflow.workflow.nodes.if_gate.If.__init__",
        ("decided_if",),
        "the condition is still kept as _condition",
        "67a96915da02177d",
        "(self, cond, **kwargs)",
    ),
    Internal(
        "viewflow.workflow.nodes.view.ViewActivation.create",
        ("step_view",),
        "StepViewActivation.create is a copy of it but for the link: copy any change",
        "1acf0ecc2f1d6629",
        "(cls, flow_task, prev_activation, token, data=None, seed=None)",
    ),
    Internal(
        "viewflow.workflow.base.Node._create",
        ("decided_if", "step_view"),
        "nodes still create their tasks through activation_class.create(flow_task, prev_activation, token, data=,"
        " seed=)",
        "26b862a38ba9f600",
        "(self, prev_activation: 'Activation', token: str, data: Optional[Dict[str, Any]] = None, seed: "
        "Optional[Any] = None) -> 'Activation'",
    ),
    Internal(
        "viewflow.workflow.lock.lock_scope",
        ("kernel",),
        "lock_scope(lock_impl, flow_class, process_pk) still takes any context-manager lock and runs the deferred"
        " callbacks when the outermost is released",
        "3315596ea3310b8c",
        "(lock_impl, flow_class, process_pk)",
    ),
    Internal(
        "viewflow.workflow.lock.SelectForUpdateLock",
        ("kernel",),
        "the lock _run_and_item_lock reproduces: the process row FOR UPDATE NOWAIT, retried",
        "bb2003d651abe84e",
        "(nowait=True, attempts=5)",
    ),
    Internal(
        "viewflow.workflow.models.Task.activation",
        ("kernel",),
        "_locked builds the activation as this does (flow_task.activation_class(coerced task))",
        "5e5594c2f7eeecda",
        "(self)",
    ),
    Internal(
        "simple_history.models.HistoricalRecords.post_save",
        ("batched_history",),
        "skip_history_when_saving on the instance still skips the row",
        "27a8518b738cdb7e",
        "(self, instance, created, using=None, **kwargs)",
    ),
    Internal(
        "simple_history.models.HistoricalRecords.create_historical_record",
        ("batched_history",),
        "the row it writes (tracked fields, history_date, user, change reason, type) is what batched_history writes",
        "7ac152c45e697b34",
        "(self, instance, history_type, using=None)",
    ),
    Internal(
        "simple_history.manager.HistoryManager.bulk_history_create",
        ("batched_history",),
        "the same columns for rows written in bulk",
        "70c61b6cc3b3991f",
        "(self, objs, batch_size=None, update=False, default_user=None, default_change_reason='', "
        "default_date=None, custom_historical_attrs=None)",
    ),
    Internal(
        "simple_history.models.HistoricalRecords.get_history_user",
        ("batched_history",),
        "_history_user on the instance still names the author, else the request's user",
        "8d000300e44190b7",
        "(self, instance)",
    ),
    Internal(
        "simple_history.utils.get_change_reason_from_object",
        ("batched_history",),
        "still reads the instance's change reason",
        "d900baa6af78eda1",
        "(obj)",
    ),
    Internal(
        "knox.auth.TokenAuthentication.authenticate_credentials",
        ("compiled_read",),
        "TokenAuthentication.authenticate_credentials is a copy of it with the compiled token read: copy any "
        "change (notably to expiry, hashing, auto-refresh)",
        "9ee8f829395d3547",
        "(self, token)",
    ),
    Internal(
        "knox.auth.TokenAuthentication._cleanup_token",
        ("knox_cleanup",),
        "our _cleanup_token checks only the presented token; knox's still deletes the person's expired tokens",
        "9d72d60a8a15ca90",
        "(self, auth_token) -> bool",
    ),
    Internal(
        "knox.auth.TokenAuthentication.authenticate",
        ("compiled_read",),
        "still calls authenticate_credentials(token bytes) and returns (user, token)",
        "cf2f6a1ef5941bc8",
        "(self, request)",
    ),
    # knox: token authentication (opsflow/api/authentication.py)
    Internal(
        "knox.auth.TokenAuthentication.validate_user",
        ("compiled_read",),
        "called as knox calls it",
        "9a3beaac88cf4119",
        "(self, auth_token)",
    ),
    Internal(
        "knox.auth.TokenAuthentication.renew_token",
        ("compiled_read",),
        "called as knox calls it",
        "7a26c9a96926a66e",
        "(self, auth_token) -> None",
    ),
    Internal(
        "rest_framework.serializers.Serializer.fields",
        ("cached_fields",),
        "fields still binds each field of get_fields() to the serializer (bind only assigns attributes, so "
        "shallow copies are enough)",
        "96006b9bed0aeef1",
        "(self)",
    ),
    Internal(
        "rest_framework.serializers.ModelSerializer.get_fields",
        ("cached_fields",),
        "the fields still depend only on the class (Meta) for read-only serializers",
        "f5744a35a63992d9",
        "(self)",
    ),
    Internal(
        "rest_framework.fields.Field.bind",
        ("cached_fields",),
        "binding still only assigns attributes to the field",
        "bd69e99fcd08a40b",
        "(self, field_name, parent)",
    ),
    Internal(
        "rest_framework.throttling.SimpleRateThrottle.allow_request",
        ("counter_throttle",),
        "the counter throttle replaces it: rate, num_requests, duration, get_cache_key, timer, cache keep their "
        "meaning",
        "fdaed3adec33b2de",
        "(self, request, view)",
    ),
    Internal(
        "rest_framework.throttling.SimpleRateThrottle.__init__",
        ("counter_throttle",),
        "still sets rate, num_requests and duration from the scope's rate",
        "ee96e4435c1db5a2",
        "(self)",
    ),
    Internal(
        "rest_framework.throttling.UserRateThrottle.get_cache_key",
        ("counter_throttle",),
        "still the per-person key (None for nobody to count)",
        "f83d79f672f4f70c",
        "(self, request, view)",
    ),
)


def resolve(path: str):
    """The object at ``path`` (module.Class.attribute ...); a property gives its getter, a
    cached_property or a viewflow transition (``@Activation.status.transition``) its function."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            owner, obj = obj, inspect.getattr_static(obj, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj) or isinstance(obj, (classmethod, staticmethod))):
                # a property's getter, a cached_property's or a viewflow transition's function
                for attr in ("fget", "real_func", "func", "_func"):
                    if callable(getattr(obj, attr, None)):
                        obj = getattr(obj, attr)
                        break
            if isinstance(obj, (classmethod, staticmethod)):
                obj = obj.__func__
            elif not inspect.isclass(owner) and not inspect.ismodule(owner):
                raise TypeError(path)
        return obj
    raise ImportError(path)


def fingerprint(path: str) -> tuple[str, str]:
    """``(source, signature)`` of the internal at ``path`` as installed."""
    obj = resolve(path)
    source = hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]
    try:
        signature = str(inspect.signature(obj))
    except (TypeError, ValueError):
        signature = ""
    return source, signature


if __name__ == "__main__":  # pragma: no cover (a helper for re-verifying)
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsflow.settings.base")
    django.setup()
    for internal in INTERNALS:
        print(internal.path, *fingerprint(internal.path), sep="  ")
