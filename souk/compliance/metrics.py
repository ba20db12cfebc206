"""Figures about compliance deadlines for /metrics (souk/web/metrics.py), read at scrape time."""

from __future__ import annotations

from datetime import datetime

from souk.compliance.models import AddressProblem


def deadlines_due(now: datetime) -> dict[str, int]:
    return {"address_fix_expired": AddressProblem.objects.filter(state=AddressProblem.State.OPEN,
                                                                 fix_by__lte=now).count()}
