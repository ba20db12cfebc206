"""A request id on every log line, carried from the web request into the tasks it enqueued.

- `RequestIdMiddleware` takes the client's (or the balancer's) `X-Request-ID` when it is a sane
  token, else makes one, holds it in a contextvar for the request, and answers it in `X-Request-ID`.
- `RequestIdFilter` (settings.LOGGING) puts it on every log record as `request_id` (`-` outside a
  request), so the JSON log lines of all nodes can be joined on it.
- Tasks: every task row written while a request id is set carries it in its `args_kwargs` JSON under
  `request_id`, beside the `args` and `kwargs` that django-tasks-db reads (it reads only those two
  keys). `task.enqueue()` gets it from a `pre_save` receiver on the row, `enqueue_together` and the
  one-statement task rows (souk.core.task_rows) set it themselves; when the worker starts the task
  (django-tasks' `task_started` signal) the id is set again for the task's log lines, and cleared
  when it finishes. A timer that runs hours later still names the request that scheduled it.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("souk_request_id", default=None)
HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _REQUEST_ID.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _REQUEST_ID.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the chain, so every later log line of the request carries the id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        request_id = given if _SANE.match(given) else new_request_id()
        request.request_id = request_id
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


def with_request_id(args_kwargs: dict) -> dict:
    """The task row's `args_kwargs` with the current request id added (unchanged outside a request)."""
    request_id = current_request_id()
    if request_id and "request_id" not in args_kwargs:
        return {**args_kwargs, "request_id": request_id}
    return args_kwargs


def _stamp_row(sender, instance, **kwargs) -> None:
    if instance._state.adding and isinstance(instance.args_kwargs, dict):
        instance.args_kwargs = with_request_id(instance.args_kwargs)


_TASK_TOKENS: dict[str, contextvars.Token] = {}


def _task_started(sender, task_result, **kwargs) -> None:
    db_result = getattr(task_result, "db_result", None)
    args_kwargs = getattr(db_result, "args_kwargs", None) or {}
    request_id = args_kwargs.get("request_id") if isinstance(args_kwargs, dict) else None
    _TASK_TOKENS[str(task_result.id)] = set_request_id(request_id)


def _task_finished(sender, task_result, **kwargs) -> None:
    token = _TASK_TOKENS.pop(str(task_result.id), None)
    if token is not None:
        try:
            reset_request_id(token)
        except ValueError:  # set in another context (never in the worker's loop): just clear it
            set_request_id(None)


def connect() -> None:
    """Called from CoreConfig.ready()."""
    from django.db.models.signals import pre_save
    from django_tasks.signals import task_finished, task_started
    from django_tasks_db.models import DBTaskResult

    pre_save.connect(_stamp_row, sender=DBTaskResult, dispatch_uid="souk.requestid.stamp")
    task_started.connect(_task_started, dispatch_uid="souk.requestid.started")
    task_finished.connect(_task_finished, dispatch_uid="souk.requestid.finished")
