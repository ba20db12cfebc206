"""The task queue and the workers, as /metrics shows them (souk/web/metrics.py)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q


def task_counts(now: datetime) -> list[tuple[str, str, int]]:
    """(queue, state, count) of tasks not finished: `ready` (may run now), `scheduled` (a timer's
    `run_after` in the future), `running`. Finished rows are left out (prune them:
    `souk prune_db_task_results`)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    ready_now = Q(run_after=get_date_max()) | Q(run_after__lte=now)
    rows = (DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
            .order_by().values_list("queue_name", "status")
            .annotate(ready=Count("id", filter=Q(status=TaskResultStatus.READY) & ready_now),
                      n=Count("id")))
    out = []
    for queue, status, ready, n in rows:
        if status == TaskResultStatus.RUNNING:
            out.append((queue, "running", n))
        else:
            out += [(queue, "ready", ready), (queue, "scheduled", n - ready)]
    return out


def workers_alive(now: datetime) -> int:
    from souk.core.workers import live_worker_ids

    return len(live_worker_ids(now))


def last_audit():
    """The last `souk audit` recorded (souk.core.audit_log), or None."""
    from souk.core.models import AuditRecord

    return AuditRecord.objects.order_by("-ran_at").first()
