"""Core's own two small tables, for running Souk on many machines (docs/operations.md, Many machines).

- `WorkerHeartbeat`: one row per `souk worker` process, its `seen_at` renewed every few seconds. A
  task RUNNING under a worker whose heartbeat is older than the lease belongs to a dead worker and is
  reaped (souk.core.workers).
- `AuditRecord`: the result of each `souk audit` run, kept so that `/metrics` can show the last one
  from any node.
"""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["seen_at"], name="workerheartbeat_seen")]

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.host} (pid {self.pid})"


class AuditRecord(models.Model):
    ran_at = models.DateTimeField()
    clean = models.BooleanField()
    findings = models.PositiveIntegerField(default=0)
    first_finding = models.TextField(blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["-ran_at"], name="auditrecord_recent")]

    def __str__(self) -> str:
        return f"audit at {self.ran_at:%Y-%m-%d %H:%M}: {'clean' if self.clean else self.first_finding}"
