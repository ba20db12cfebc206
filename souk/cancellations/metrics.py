"""Figures about cancellations for /metrics (souk/web/metrics.py), read at scrape time."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from souk.cancellations.models import Cancellation, CancellationRequest


def cancellations_by_outcome() -> list[tuple[str, str, str, int]]:
    """(reason, fault, who cancelled, count) of every cancellation so far."""
    return [(r, f, a, n) for r, f, a, n in Cancellation.objects.order_by().values_list("reason", "fault", "actor_role")
            .annotate(n=Count("id")).values_list("reason", "fault", "actor_role", "n")]


def requests_by_state() -> dict[str, int]:
    """Cancellation requests by outcome: pending, approved, rejected, withdrawn, auto_approved."""
    return dict(CancellationRequest.objects.order_by().values_list("state").annotate(n=Count("id"))
                .values_list("state", "n"))


def deadlines_due(now: datetime) -> dict[str, int]:
    return {
        "cancellation_requests_due": CancellationRequest.objects.filter(
            state=CancellationRequest.State.PENDING, respond_by__lte=now).count(),
        "cancellations_to_notify": Cancellation.objects.filter(notified_at__isnull=True).count(),
    }
