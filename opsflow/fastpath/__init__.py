"""The fast path: every trick that leans on a library's internals, fenced in one package, with its index.

Each trick says what it replaces (the library function or behaviour it stands in for), where it is
used, where it is measured (a section of docs/benchmarks.md, by its heading) and how to switch it off.
Switched off, the plain library path runs and the results are the same (``tests/opsflow/test_fastpath.py``
completes a run over the API with each trick off). The switches are one setting, ``OPSFLOW_FAST_PATH``
(``opsflow.fastpath.switches``), set from the environment with ``OPSFLOW_FAST_PATH_OFF=<names>|all``
(docs/operations.md, "Settings"; measuring with them off: [F] below). The internals each trick
relies on, and the library versions they were verified on, are one table, ``opsflow.fastpath.verified``;
``tests/opsflow/test_upstream.py`` fails, saying what to re-verify, when one of them moves.

Benchmark sections named below (headings of docs/benchmarks.md): [A] "REST completions under load
(performance issue)"; [B] "2026-12-01 02:00-02:45 UTC: 19 -> 13 queries, 90 -> 144 completions/s";
[C] "2026-12-01 05:14-05:35 UTC: fair connections, p95 579 -> 317 ms; what a request costs before any
work"; [D] "2026-12-01 06:25-07:45 UTC: the locking read compiled once per process (a new, slower
machine)"; [E] "2026-12-01 11:00-23:40 UTC: prepared statements and compiled writes, a third less CPU
per completion"; [F] "The fast path, trick by trick (issue 22)" (the map of this index, and how to
measure with the tricks off).

In this package
---------------
``compiled_read`` -- ``compiled.CompiledRead``. Replaces: evaluating a queryset (Django compiles its
    SQL on every evaluation; ``ModelIterable`` turns the rows into objects). Used: the step completion's
    locking read (``processes/services/work/locking.py``, ``LOCKING_READ``) and knox's token lookup
    (``opsflow/api/authentication.py``, ``_TOKENS_BY_KEY``). Measured: [D], [E] (its last change).
    Off: the queryset is evaluated as it is.
``compiled_insert`` -- ``compiled.CompiledInsert``. Replaces: ``QuerySet.bulk_create`` (and the
    many-to-many manager's ``add``). Used: the batched history rows, viewflow's task links
    (``nodes._LINK``). Measured: [E]. Off: ``bulk_create``.
``compiled_saves`` -- ``compiled.CompiledSaves``. Replaces: Django's ``Model._do_update`` and
    ``Model._do_insert`` (the last step of ``save()``). Used: ``WorkItem`` and ``RunTask``
    (``processes/models/work.py``; migration 0015 imports it through the shim
    ``processes/compiled.py``). Measured: [E]. Off: Django's own ``_do_update``/``_do_insert``.
``prepared_statements`` -- ``compiled.execute``. Replaces: psycopg2 sending each statement as text
    (PostgreSQL plans it every time). Used: every compiled read, insert and save, and the
    roles-and-scope query of ``processes/access.py`` (``_load_roles_and_scope``, kernel's file).
    Measured: [E]. Off: ``OPSFLOW_PREPARED_STATEMENTS=false`` (its own, older setting; needed behind a
    pooler in transaction mode).
``batched_history`` -- ``history.batched_history`` / ``save_with_history``. Replaces: simple-history's
    ``post_save`` receiver writing one row per save (``create_historical_record``), skipped with
    ``skip_history_when_saving``, written as ``bulk_history_create`` writes them. Used: a step
    completion (``processes/services/work/items.py``, ``complete``). Measured: [B]. Off: every save
    writes its own history row at once.
``decided_if`` -- ``nodes.DecidedIf``. Replaces: viewflow's ``flow.If`` (``IfActivation``: the gate
    task stored, a savepoint around the condition, the task updated to done). Used: ``RunFlow.advance``
    (``processes/flows.py``). Measured: [B]. Off: viewflow's ``Activation.create`` and its
    ``activate``/``complete``.
``step_view`` -- ``nodes.StepView``. Replaces: viewflow's ``ViewActivation.create`` (its
    ``task.previous.add``). Used: ``RunFlow.perform_step``. Measured: [E]. Off: viewflow's own create.
``cached_fields`` -- ``serializers.CachedFields``. Replaces: DRF's ``Serializer.fields`` /
    ``ModelSerializer.get_fields`` building every field for each instance. Used: ``WorkItemSerializer``
    (``processes/api/work.py``; the only such cache in processes/api and opsflow/api). Measured:
    [A] (the API change), [B] (the shallow copies). Off: DRF builds the fields for each instance.

Elsewhere (they belong to their module; listed so an upgrade finds them)
--------------------------------------------------------------------------
``counter_throttle`` -- ``opsflow/api/throttling.py``, ``UserRateThrottle``. Replaces: DRF's
    ``SimpleRateThrottle.allow_request`` (a list of request times read and written back) with one
    atomic increment per fixed window. Measured: [C]. Off: DRF's own count (a sliding window).
``gc_freeze`` -- ``opsflow/wsgi.py``. Replaces: Python's garbage collector defaults (what the process
    loaded is frozen out of it, the youngest generation collected less often). Measured: [C]. Off:
    Python's defaults.
``knox_cleanup`` -- ``opsflow/api/authentication.py``, ``TokenAuthentication._cleanup_token`` and
    ``authenticate_credentials``. Replaces: knox deleting all the person's expired tokens on every
    request: only the presented token's expiry is checked, the others are removed when the last use is
    written (at most once a minute), and a header that is not text is a 401. Measured: [A]. Not
    switched: the moment expired tokens are removed is behaviour (its tests pin it).
``kernel`` -- ``processes/services/work/locking.py`` and ``items.py``: ``locked`` /
    ``_run_and_item_lock`` take viewflow's lock (``lock_scope`` with ``select_for_update_lock``'s
    ``FOR UPDATE NOWAIT``) together with the item's row in one query and build the activation as
    ``Task.activation`` does; ``complete`` folds ``activation.assign()``'s write into the completion's
    task save. Measured: [A], [B]. Not switched (the lock order is a correctness property; its tests
    pin it); its viewflow internals are in the tripwire's table.
``listed`` -- not tricks on an internal, only listed: ``ApiToken`` has no default ordering
(``processes/models/integrations.py``: knox's token query would compile and run an ``ORDER BY``;
measured in [B]); the API's commands read ``COMMAND_FIELDS`` only and pass ``WorkItem.from_db`` with the
id alone to the service (``processes/api/work.py``, ``_command``; [A], [B]); ``WorkItem.save``
reads the run's version from ``_state.fields_cache`` when it is loaded (``processes/models/work.py``;
Django's related-object cache, in the tripwire's table).
"""
