"""Figures about the notifications outbox for /metrics (souk/web/metrics.py), read at scrape time."""

from __future__ import annotations

from datetime import datetime

from souk.notifications.models import EmailMessage, WebhookDelivery


def deadlines_due(now: datetime) -> dict[str, int]:
    return {"notifications_outbox": (
        EmailMessage.objects.filter(state=EmailMessage.State.PENDING, next_attempt_at__lte=now).count()
        + WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now).count())}
