"""Workers on many machines: heartbeats, and the reaper of tasks a dead worker left RUNNING.

django-tasks-db (0.13) has no lease: a worker claims a task row (status RUNNING, its id appended to
`worker_ids`) and only that worker ever finishes it. A worker SIGKILLed, OOM-killed or on a machine
that vanished leaves the row RUNNING forever; its work itself is safe (every task is the fast path
of a sweep, which finishes the domain row: docs/architecture.md, Timers and side effects), but the
task table and the queue-depth metrics would lie.

So each `souk worker` runs django-tasks-db's worker under an id of its own (host, pid, random) and
renews a `WorkerHeartbeat` row every `WORKER_HEARTBEAT_SECONDS`. The `tasks_stale_reaped` sweep marks
FAILED (exception `souk.core.workers.WorkerLost`, with a traceback line saying which worker) every
RUNNING row whose worker:

- has a heartbeat older than `WORKER_LEASE_SECONDS` (the worker is gone), or
- has no heartbeat at all (a plain `db_worker`, or a row from before) and started longer than
  `TASK_STALE_SECONDS` ago (the stale-age rule).

It does not run the task again: the sweeps do the work, and a task that killed its worker would
otherwise kill the next one too. The UPDATE re-checks the status, so two reapers (several workers)
reap a row once, and a row its live worker finished meanwhile is left alone. Heartbeats of workers
gone for a day are deleted by the same sweep.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import close_old_connections, connections
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string

from souk.core.conf import app_setting

logger = logging.getLogger("souk.workers")

DEFAULTS = {
    "WORKER_HEARTBEAT_SECONDS": 5,
    "WORKER_LEASE_SECONDS": 30,
    "TASK_STALE_SECONDS": 3600,
    "TASK_REAP_SWEEP_SECONDS": 15,
}


def setting(name: str):
    return app_setting(name, DEFAULTS)


class WorkerLost(Exception):
    """The worker running this task stopped renewing its heartbeat (or the task is older than the stale age)."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def new_worker_id() -> str:
    host = socket.gethostname()[:30]
    return f"{host}-{os.getpid()}-{get_random_string(8)}"[:63]


def beat(worker_id: str, *, started_at=None) -> None:
    from souk.core.models import WorkerHeartbeat

    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now)
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": now,
                      "started_at": started_at or now})


def heartbeat_loop(worker_id: str, stop: threading.Event) -> None:
    """Renews the heartbeat until `stop`; a failed beat (database away) is logged and retried."""
    started_at = timezone.now()
    while not stop.is_set():
        try:
            close_old_connections()
            beat(worker_id, started_at=started_at)
        except Exception:
            logger.exception("worker heartbeat failed")
        finally:
            connections.close_all()
        stop.wait(float(setting("WORKER_HEARTBEAT_SECONDS")))


def forget(worker_id: str) -> None:
    """A worker that stops cleanly removes its heartbeat (its tasks are finished by then)."""
    from souk.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def live_worker_ids(now=None) -> list[str]:
    from souk.core.models import WorkerHeartbeat

    now = now or timezone.now()
    since = now - timedelta(seconds=float(setting("WORKER_LEASE_SECONDS")))
    return list(WorkerHeartbeat.objects.filter(seen_at__gte=since).values_list("worker_id", flat=True))


def reap_stale_tasks(*, now=None, limit: int = 500) -> int:
    """Marks FAILED the RUNNING task rows of dead workers (see the module's doc); returns how many."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from souk.core.models import WorkerHeartbeat

    now = now or timezone.now()
    lease = timedelta(seconds=float(setting("WORKER_LEASE_SECONDS")))
    stale_age = timedelta(seconds=float(setting("TASK_STALE_SECONDS")))
    running = list(DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
                   .order_by("started_at").values_list("id", "worker_ids", "started_at")[:limit])
    if not running:
        return 0
    owners = {ids[-1] for _, ids, _ in running if ids}
    beats = dict(WorkerHeartbeat.objects.filter(worker_id__in=owners).values_list("worker_id", "seen_at"))
    dead: dict[str, list] = {}
    for task_id, ids, started_at in running:
        owner = ids[-1] if ids else ""
        seen = beats.get(owner)
        if seen is not None:
            if seen >= now - lease or (started_at and started_at >= now - lease):
                continue
            why = f"worker {owner} last seen {seen.isoformat()}, lease {lease.total_seconds():g} s"
        else:
            if started_at and started_at >= now - stale_age:
                continue
            why = f"worker {owner or '?'} has no heartbeat; running since {started_at} (stale after {stale_age})"
        dead.setdefault(why, []).append(task_id)
    reaped = 0
    for why, ids in dead.items():
        reaped += DBTaskResult.objects.filter(Q(id__in=ids), status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED, finished_at=now, exception_class_path=WORKER_LOST,
            traceback=f"{WORKER_LOST}: {why}; the sweeps finish the task's work\n", return_value=None)
    if reaped:
        logger.warning("reaped %d task(s) left RUNNING by dead workers", reaped)
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return reaped
