"""A task row written inside a workflow's own statement: what `task.enqueue()` writes, as a part.

django-tasks-db's `enqueue` is one INSERT of a `DBTaskResult` row. A hot path that writes
everything in ONE statement (checkout, souk.checkout) writes that row as a part of it
(souk.core.sql): the timer commits with the rows it is about, and costs no round trip and no
commit of its own. The row is built from the library's public API only:

- the task is a `Task`, which validates itself against its backend when it is made (`.using(...)`);
- the id comes from the backend's documented `id_function` option (uuid4 when not set);
- every column has the value `enqueue` gives it (`enqueued_at` now, `run_after` the task's or, when
  it has none, `get_date_max()` as django-tasks-db's own `pre_save` receiver sets it, the model's
  defaults for the rest), prepared by its model field as the ORM's INSERT prepares it; the columns
  that are the same for every call of a task are prepared once per process;
- only the positional args come from the statement (e.g. the ids of the orders it inserted): an
  SQL expression fills `args_kwargs["args"]`; the request id is set beside them, as the `pre_save`
  receiver of souk.core.requestid sets it for `enqueue`.

Like `bulk_create`, it sends no signals (`task_enqueued` is a debug log line in django-tasks).
tests/checkout/test_fast_path_parity.py compares the row with `task.enqueue()`'s field for field
and runs it with the worker. `souk.core.tasks.enqueue_together` writes several rows in one plain
INSERT; the two should share this row builder.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.utils import timezone
from django.utils.module_loading import import_string

from souk.core.sql import Part, quote, typed

ARGS_PLACEHOLDER: list[Any] = []


def _model():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


_EMBEDDABLE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def embeddable(task) -> bool:
    """Whether `task` is stored by django-tasks-db in the default database (so its row can be a
    part of a statement there). Any other backend gets an ordinary `enqueue`."""
    backend = task.get_backend()
    answer = _EMBEDDABLE.get(backend)
    if answer is None:
        from django_tasks_db.backend import DatabaseBackend

        answer = _EMBEDDABLE[backend] = (isinstance(backend, DatabaseBackend)
                                         and router.db_for_write(_model()) == DEFAULT_DB_ALIAS)
    return answer


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


# What changes from one call of a task to the next; every other column is the same for every call
# of the task (same path, priority, queue and backend) and is prepared once, by the model's fields.
_PER_CALL = ("id", "enqueued_at", "run_after", "args_kwargs")
_TEMPLATES: dict[tuple, dict[str, Any]] = {}


def _template(task, backend) -> dict[str, Any]:
    key = (task.module_path, task.priority, task.queue_name, backend.alias)
    template = _TEMPLATES.get(key)
    if template is None:
        model = _model()
        row = model(id=None, args_kwargs={"args": [], "kwargs": {}}, priority=task.priority,
                    task_path=task.module_path, queue_name=task.queue_name, run_after=None,
                    backend_name=backend.alias)
        connection = connections[DEFAULT_DB_ALIAS]
        template = {f.attname: f.get_db_prep_save(f.pre_save(row, True), connection)
                    for f in model._meta.local_concrete_fields if f.attname not in _PER_CALL}
        _TEMPLATES[key] = template
    return template


class TaskRow:
    """One task call's row, with the values `enqueue` gives it; its positional args are filled by the
    statement. `task` is a Task (made with `.using(...)` when it has a `run_after`): a Task validates
    itself against its backend when it is made, as `enqueue` validates it.

    Like `bulk_create` (and `souk.core.tasks.enqueue_together`), it sends no model signals: the one
    receiver django-tasks-db has (`pre_save`: a `run_after` of None becomes `get_date_max()`) is
    applied here, and `task_enqueued` (a debug log line) is not sent."""

    __slots__ = ("values",)

    def __init__(self, task, kwargs: Mapping[str, Any] | None = None) -> None:
        from django_tasks_db.compat import normalize_json
        from django_tasks_db.models import get_date_max

        from souk.core.requestid import with_request_id

        backend = task.get_backend()
        fields = _fields()
        connection = connections[DEFAULT_DB_ALIAS]
        per_call = {
            "id": _id_function(backend)(),
            "enqueued_at": timezone.now(),  # auto_now_add
            "run_after": task.run_after if task.run_after is not None else get_date_max(),
            "args_kwargs": normalize_json(with_request_id({"args": ARGS_PLACEHOLDER, "kwargs": dict(kwargs or {})})),
        }
        per_call = {a: fields[a].get_db_prep_save(v, connection) for a, v in per_call.items()}
        self.values = {**_template(task, backend), **per_call}

    def params(self) -> tuple:
        """The part's parameters: every column as the ORM's INSERT would send it."""
        return tuple(self.values[a] for a in _fields())


_FIELDS: dict[str, Any] = {}


def _fields() -> dict[str, Any]:
    """{attname: field} of the task row's columns, in the order of `task_row_part`'s INSERT."""
    if not _FIELDS:
        _FIELDS.update((f.attname, f) for f in _model()._meta.local_concrete_fields)
    return _FIELDS
