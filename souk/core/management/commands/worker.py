"""`souk worker`: the background worker.

Runs django-tasks-db's database worker (tasks enqueued with `run_after` are the
fast path for timers) and, in a second thread, the periodic sweeps that are the
safety net (souk.core.sweeps). Several workers may run at once: tasks are
claimed with SKIP LOCKED on PostgreSQL, and sweeps lock the rows they finish.
Each worker runs under an id of its own and renews a heartbeat, so the tasks
of a worker that died are reaped by any other (souk.core.workers).
"""

from __future__ import annotations

import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections

from souk.core.sweeps import run_due_sweeps
from souk.core.workers import forget, heartbeat_loop, new_worker_id


class Command(BaseCommand):
    help = "Run the background worker: tasks (timers, side effects) and periodic sweeps."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5,
                            help="seconds to wait when no task is ready (default: 0.5)")
        parser.add_argument("--sweep-interval", type=float, default=5.0,
                            help="seconds between sweep rounds (default: 5)")
        parser.add_argument("--no-sweeps", action="store_true", help="run tasks only")
        parser.add_argument("--batch", action="store_true",
                            help="run every due sweep once and every ready task, then exit")

    def handle(self, *args, interval: float, sweep_interval: float, no_sweeps: bool, batch: bool, **options):
        verbosity = options.get("verbosity", 1)
        if batch:
            if not no_sweeps:
                run_due_sweeps(force=True)
            call_command("db_worker", batch=True, interval=0, reload=False, startup_delay=False,
                         verbosity=verbosity)
            return

        stop = threading.Event()
        worker_id = new_worker_id()
        threading.Thread(target=heartbeat_loop, args=(worker_id, stop), name="souk-heartbeat",
                         daemon=True).start()
        if not no_sweeps:
            threading.Thread(target=self._sweep_loop, args=(stop, sweep_interval), name="souk-sweeps",
                             daemon=True).start()
        try:
            call_command("db_worker", interval=interval, reload=False, verbosity=verbosity,
                         worker_id=worker_id)
        finally:
            stop.set()
            forget(worker_id)

    @staticmethod
    def _sweep_loop(stop: threading.Event, every: float) -> None:
        while not stop.is_set():
            close_old_connections()
            run_due_sweeps()
            connections.close_all()
            stop.wait(every) if every else time.sleep(0)
