"""Task helpers every app may use."""

from __future__ import annotations

_VALIDATED: set[tuple[str, int]] = set()


def enqueue_together(calls: list[tuple]) -> None:
    """Enqueue several task calls `(task, args)` with ONE INSERT, in the caller's transaction.

    The rows commit (or roll back) with the state change that asked for them, so the worker sees
    them only once it committed; each one is the fast path of a sweep. Any backend other than
    django-tasks-db gets one ordinary `enqueue` per call.
    """
    if not calls:
        return
    backend = calls[0][0].get_backend()
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(backend, DatabaseBackend) or any(t.get_backend() is not backend for t, _ in calls):
        for task_, args in calls:
            task_.enqueue(*args)
        return
    from django_tasks_db.models import DBTaskResult, get_date_max

    far = get_date_max()
    rows = []
    for task_, args in calls:
        if (task_.module_path, task_.priority) not in _VALIDATED:
            backend.validate_task(task_)
            _VALIDATED.add((task_.module_path, task_.priority))
        rows.append(DBTaskResult(id=backend._get_id(), args_kwargs={"args": list(args), "kwargs": {}},
                                 priority=task_.priority, task_path=task_.module_path, queue_name=task_.queue_name,
                                 run_after=task_.run_after if task_.run_after is not None else far,
                                 backend_name=backend.alias))
    # What bulk_create writes, without compiling an ORM insert on every call.
    from django.db import connection

    fields = DBTaskResult._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(DBTaskResult._meta.db_table)} ({columns}) "
                       f"VALUES {', '.join([one] * len(rows))}", params)
