"""Task helpers every app may use."""

from __future__ import annotations


def enqueue_together(calls: list[tuple]) -> None:
    """Enqueue several task calls `(task, args)` with ONE INSERT, in the caller's transaction.

    The rows commit (or roll back) with the state change that asked for them, so the worker sees
    them only once it committed; each one is the fast path of a sweep.

    Only the libraries' public API: on django-tasks-db, each row is the `DBTaskResult` its
    backend's `enqueue` would create (the task validated by `backend.validate_task`, the same
    column values; tests/core/test_enqueue_parity.py compares them), written together with the
    model's `bulk_create`, and `task_enqueued` is sent for each, as `enqueue` does. Each row carries
    the request id, as `enqueue`'s rows do (souk.core.requestid). Any other
    backend, tasks of several backends, or a backend with its own `id_function` option get one
    ordinary `task.enqueue(*args)` per call; so does a single call outside a transaction, where
    `bulk_create` would wrap its INSERT in a transaction of its own (BEGIN/COMMIT) and `enqueue`
    is one autocommit INSERT (checkout's payment-window timer on PostgreSQL).
    """
    if not calls:
        return
    backend = calls[0][0].get_backend()
    from django.db import transaction
    from django_tasks_db.backend import DatabaseBackend

    if (not isinstance(backend, DatabaseBackend) or backend.options.get("id_function")
            or (len(calls) == 1 and transaction.get_autocommit())
            or any(t.get_backend() is not backend for t, _ in calls)):
        for task_, args in calls:
            task_.enqueue(*args)
        return
    from django_tasks_db.compat import normalize_json, task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    from souk.core.requestid import with_request_id

    rows = []
    for task_, args in calls:
        backend.validate_task(task_)
        # What the backend's enqueue creates; `run_after=None` is stored as the far date by the
        # library's pre_save handler, which bulk_create does not call: set here the same way.
        rows.append(DBTaskResult(args_kwargs=normalize_json(with_request_id({"args": args, "kwargs": {}})),
                                 priority=task_.priority, task_path=task_.module_path,
                                 queue_name=task_.queue_name,
                                 run_after=task_.run_after if task_.run_after is not None else get_date_max(),
                                 backend_name=backend.alias))
    DBTaskResult.objects.bulk_create(rows)
    for row in rows:
        task_enqueued.send(type(backend), task_result=row.task_result)
