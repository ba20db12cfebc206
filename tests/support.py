"""What many test modules share: an API client that authenticates like a script, a race starter, and one
round of the background worker."""

from __future__ import annotations

import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections
from django.test import Client
from django_tasks_db.management.commands.db_worker import Worker

from souk.accounts.tokens import token_create
from souk.core.sweeps import run_due_sweeps


class Api:
    """A JSON client for /api with a personal access token (or none, for public endpoints)."""

    def __init__(self, user=None):
        self.client = Client()
        self.auth: dict[str, str] = {}
        if user is not None:
            _, raw = token_create(user=user, name="test")
            self.auth = {"Authorization": f"Bearer {raw}"}

    def _headers(self, key: str | None) -> dict[str, str]:
        return {**self.auth, "Idempotency-Key": key} if key is not None else self.auth

    def post(self, path: str, body: Any = None, key: str | None = None):
        return self.client.post(f"/api{path}", data=body if body is not None else {},
                                content_type="application/json", headers=self._headers(key))

    def get(self, path: str, params: dict | None = None):
        return self.client.get(f"/api{path}", data=params or {}, headers=self.auth)


def race(*funcs):
    """Run the callables at the same instant, one thread (and database connection) each.

    Returns each one's result, or the exception it raised, in order.
    """
    barrier = threading.Barrier(len(funcs))

    def call(func):
        try:
            barrier.wait()
            return func()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(funcs)) as pool:
        return list(pool.map(call, funcs))


def run_worker_once() -> None:
    """What `souk worker --batch` does: every sweep, then every ready task (django-tasks-db's worker,
    without the signal handlers it installs when run as a command, which only the main thread may)."""
    run_due_sweeps(force=True)
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="tests", excluded_queue_names=[]).run()


def spawn(args: list[str], **kwargs) -> subprocess.Popen:
    """A server or worker subprocess whose stderr goes to a temporary file, never a pipe: nobody reads
    a pipe while the test runs, and a process whose log fills one (64 KiB) blocks on its next line —
    a worker stuck mid-task looks exactly like the bug a crash test hunts. `output(proc)` reads it."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process; closed with it
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, **kwargs)
    proc.log = log
    return proc


def output(proc: subprocess.Popen, last: int = 3000) -> str:
    """The end of what a `spawn`ed process wrote to stderr."""
    proc.log.seek(0)
    return proc.log.read()[-last:].decode(errors="replace")
