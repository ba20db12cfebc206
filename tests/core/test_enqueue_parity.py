"""`souk.core.tasks.enqueue_together` writes what `task.enqueue()` writes, in one INSERT.

Field for field (all but the id and the enqueue time), the django-tasks-db rows are the same as
one `task.enqueue(*args)` per call would create, the same `task_enqueued` signals are sent, and the
worker runs them the same way.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from itertools import count

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import task_enqueued
from django_tasks_db.models import DBTaskResult

from souk.cancellations.tasks import auto_approve_request, expire_payment_window
from souk.core.tasks import enqueue_together
from souk.notifications.tasks import deliver_emails
from souk.payments.tasks import process_refund

COMPARED = [f.attname for f in DBTaskResult._meta.concrete_fields if f.attname not in ("id", "enqueued_at")]


@task()
def echo(*args):
    """A task the worker can run here: it returns what it was given."""
    return list(args)


@task(priority=7)
def echo_urgent(value):
    return value


_ids = count(1)


def numbered_id() -> uuid.UUID:
    """An `id_function` (a documented django-tasks-db option) whose ids can be recognised."""
    return uuid.UUID(int=0xC0FFEE << 64 | next(_ids))


def the_calls(now) -> list[tuple]:
    """Every kind of call the services make, and the task options they may carry."""
    return [
        (echo, (1, [2, 3], ("a", ("b",)))),  # tuples become lists, as in the backend
        (echo.using(run_after=now + timedelta(hours=1)), (4,)),
        (echo.using(priority=-3, run_after=now - timedelta(seconds=1)), ()),
        (echo_urgent, ({"k": [1, 2]},)),
        (auto_approve_request.using(run_after=now + timedelta(hours=48)), (11,)),
        (expire_payment_window.using(run_after=now + timedelta(hours=24)), (12, 13)),
        (deliver_emails, ([5, 6],)),
        (process_refund, (14,)),
    ]


def one_by_one(calls) -> None:
    for task_, args in calls:
        task_.enqueue(*args)


def rows_written(enqueue, calls) -> tuple[list[dict], list[tuple]]:
    """The rows `enqueue(calls)` wrote (compared columns, in a stable order) and the signals it sent."""
    before = set(DBTaskResult.objects.values_list("id", flat=True))
    signals: list[tuple] = []

    def receiver(sender, task_result, **kwargs):
        t = task_result.task
        signals.append((sender.__name__, t.module_path, t.priority, t.queue_name, t.run_after, t.backend,
                        json.dumps(task_result.args), json.dumps(task_result.kwargs), task_result.status,
                        task_result.backend))

    task_enqueued.connect(receiver)
    try:
        enqueue(calls)
    finally:
        task_enqueued.disconnect(receiver)
    new = DBTaskResult.objects.exclude(id__in=before)
    assert all(r.enqueued_at is not None for r in new)
    rows = sorted(new.values(*COMPARED), key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return rows, sorted(signals, key=repr)


def test_the_rows_and_signals_equal_one_enqueue_per_call(db):
    calls = the_calls(timezone.now())
    together = rows_written(enqueue_together, calls)
    singly = rows_written(one_by_one, calls)
    assert len(together[0]) == len(singly[0]) == len(calls)
    assert together == singly
    # The far date stands for "no run_after", as the library's own pre_save handler stores it.
    assert sum(r["run_after"].year == 9999 for r in together[0]) == 4


def test_one_insert_in_the_callers_transaction(db):
    calls = the_calls(timezone.now())
    with CaptureQueriesContext(connection) as queries:
        enqueue_together(calls)
    assert len(queries) == 1 and queries[0]["sql"].lstrip().upper().startswith("INSERT INTO")
    assert DBTaskResult._meta.db_table in queries[0]["sql"]
    assert DBTaskResult.objects.count() == len(calls)
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_together(calls)
        raise RuntimeError("the state change fails")
    assert DBTaskResult.objects.count() == len(calls)  # rolled back with it
    with CaptureQueriesContext(connection) as queries:
        enqueue_together([])
    assert len(queries) == 0


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_them_as_it_runs_enqueued_ones():
    def run(enqueue) -> list[tuple]:
        DBTaskResult.objects.all().delete()
        now = timezone.now()
        with transaction.atomic():
            enqueue([(echo, (1, [2, 3], ("a",))), (echo.using(priority=5, run_after=now), ("x",)),
                     (echo.using(run_after=now + timedelta(hours=1)), ("later",)),
                     (echo_urgent, ({"k": 1},))])
        call_command("worker", batch=True, no_sweeps=True, verbosity=0)
        return sorted((r.task_path, r.priority, json.dumps(r.args_kwargs), r.status,
                       json.dumps(r.return_value), len(r.worker_ids), r.started_at is None,
                       r.finished_at is None)
                      for r in DBTaskResult.objects.all())

    together, singly = run(enqueue_together), run(one_by_one)
    assert together == singly
    assert sorted((s, v) for _, _, _, s, v, *_ in together) == [
        ("READY", "null"),  # run_after in an hour: not yet
        ("SUCCESSFUL", '["x"]'), ("SUCCESSFUL", '[1, [2, 3], ["a"]]'), ("SUCCESSFUL", '{"k": 1}')]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_one_call_is_one_autocommit_insert_and_several_are_one_insert():
    assert transaction.get_autocommit()
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        enqueue_together([(expire_payment_window.using(run_after=now), (1, 2))])  # checkout's timer
    assert [q["sql"].split()[0].upper() for q in queries] == ["INSERT"]
    with CaptureQueriesContext(connection) as queries:
        enqueue_together(the_calls(now))
    assert [q["sql"].split()[0].upper() for q in queries].count("INSERT") == 1
    assert DBTaskResult.objects.count() == 1 + len(the_calls(now))


def test_a_backend_with_its_own_id_function_gets_ordinary_enqueues(db):
    tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"],
                         "OPTIONS": {"id_function": f"{__name__}.numbered_id"}}}
    with override_settings(TASKS=tasks):
        enqueue_together([(echo, (1,)), (echo_urgent, (2,))])
    ids = DBTaskResult.objects.values_list("id", flat=True)
    assert sorted(i.int >> 64 for i in ids) == [0xC0FFEE, 0xC0FFEE]


def test_another_backend_gets_ordinary_enqueues(db):
    tasks = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=tasks):
        enqueue_together([(echo, (1,)), (echo_urgent, (2,))])
        results = echo.get_backend().results
        assert [(r.task.module_path, r.args) for r in results] == [(echo.module_path, [1]),
                                                                     (echo_urgent.module_path, [2])]
    assert not DBTaskResult.objects.exists()
