"""Keeps each `souk audit` result in a small table, so /metrics on any node shows the last one."""

from __future__ import annotations

from django.utils import timezone


def record_audit(findings: list, *, seconds: float) -> None:
    from souk.core.models import AuditRecord

    AuditRecord.objects.create(ran_at=timezone.now(), clean=not findings, findings=len(findings),
                               first_finding=str(findings[0])[:2000] if findings else "", seconds=seconds)
    # Only the recent history is kept.
    keep = list(AuditRecord.objects.order_by("-ran_at").values_list("id", flat=True)[:100])
    AuditRecord.objects.exclude(id__in=keep).delete()
