"""A task row written inside a workflow's own statement: what `task.enqueue()` writes, as a part.

django-tasks-db's `enqueue` is one INSERT of a `DBTaskResult` row, then the `task_enqueued` signal.
A hot path that writes everything in ONE statement (checkout, souk.checkout) writes that row as a
part of it (souk.core.sql): the timer commits with the rows it is about, and costs no round trip
and no commit of its own. The row is built the way the library's public API builds it:

- the task is validated by its backend (`backend.validate_task`), as `enqueue` does;
- the id comes from the backend's documented `id_function` option (uuid4 when not set);
- the row is a `DBTaskResult` with the values `enqueue` gives it, the model's `pre_save` signal is
  sent (django-tasks-db's receiver turns `run_after=None` into its far date), and every column is
  prepared by its model field, as the ORM's INSERT prepares it;
- only the positional args come from the statement (e.g. the ids of the orders it inserted): an
  SQL expression fills `args_kwargs["args"]`;
- once the statement has written it, `post_save` and `task_enqueued` are sent, as
  `objects.create` and `enqueue` send them (`TaskRow.enqueued`).

tests/checkout/test_fast_path_parity.py compares the row with `task.enqueue()`'s field for field
and runs it with the worker. `souk.core.tasks.enqueue_together` writes several rows in one plain
INSERT; the two should share this row builder.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models.signals import post_save, pre_save
from django.utils.module_loading import import_string

from souk.core.sql import Part, quote, typed

ARGS_PLACEHOLDER: list[Any] = []


def _model():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


def embeddable(task) -> bool:
    """Whether `task` is stored by django-tasks-db in the default database (so its row can be a
    part of a statement there). Any other backend gets an ordinary `enqueue`."""
    from django_tasks_db.backend import DatabaseBackend

    return (isinstance(task.get_backend(), DatabaseBackend)
            and router.db_for_write(_model()) == DEFAULT_DB_ALIAS)


def task_row_part(name: str, *, args: str, needs: tuple[str, ...] = ()) -> Part:
    """The INSERT of one task row as a part of a write statement, its positional args the JSON
    array the SQL expression `args` evaluates to (reading the earlier parts `needs`).
    Parameters: `TaskRow(task).params()`."""
    model = _model()
    fields = model._meta.local_concrete_fields
    values = []
    for f in fields:
        if f.attname == "args_kwargs":
            values.append(f"jsonb_set(%s::jsonb, '{{args}}', ({args})::jsonb)")
        else:
            values.append(typed(f))
    return Part(name, f"""
INSERT INTO {quote(model._meta.db_table)} ({", ".join(quote(f.column) for f in fields)})
VALUES ({", ".join(values)})
RETURNING id""", columns=("id",), needs=needs)


_ID_FUNCTIONS: dict[str, Any] = {}


def _id_function(backend):
    """The backend's `id_function` option (a callable or its dotted path), else the model's default."""
    fn = _ID_FUNCTIONS.get(backend.alias)
    if fn is None:
        option = backend.options.get("id_function")
        fn = (option if callable(option) else import_string(option)) if option else _model()._meta.pk.default
        _ID_FUNCTIONS[backend.alias] = fn
    return fn


class TaskRow:
    """One task call's row, built as `enqueue` builds it; its positional args are filled by the statement."""

    def __init__(self, task, kwargs: Mapping[str, Any] | None = None) -> None:
        from django_tasks_db.compat import normalize_json

        backend = task.get_backend()
        backend.validate_task(task)
        model = _model()
        self.backend = backend
        self.kwargs = dict(kwargs or {})
        self.row = model(id=_id_function(backend)(),
                         args_kwargs=normalize_json({"args": ARGS_PLACEHOLDER, "kwargs": self.kwargs}),
                         priority=task.priority, task_path=task.module_path, queue_name=task.queue_name,
                         run_after=task.run_after, backend_name=backend.alias)
        pre_save.send(sender=model, instance=self.row, raw=False, using=DEFAULT_DB_ALIAS, update_fields=None)

    def params(self) -> tuple:
        """The part's parameters: every column as the ORM's INSERT would send it."""
        connection = connections[DEFAULT_DB_ALIAS]
        return tuple(f.get_db_prep_save(f.pre_save(self.row, True), connection)
                     for f in self.row._meta.local_concrete_fields)

    def enqueued(self, args: list[Any]):
        """The statement wrote the row with these args: send what `objects.create` and `enqueue` send.
        Returns the task result, as `enqueue` does."""
        from django_tasks_db.compat import normalize_json, task_enqueued

        row = self.row
        row.args_kwargs = normalize_json({"args": args, "kwargs": self.kwargs})
        row._state.adding = False
        row._state.db = DEFAULT_DB_ALIAS
        post_save.send(sender=type(row), instance=row, created=True, update_fields=None, raw=False,
                       using=DEFAULT_DB_ALIAS)
        result = row.task_result
        task_enqueued.send(type(self.backend), task_result=result)
        return result
