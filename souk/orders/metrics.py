"""Figures about orders for /metrics (souk/web/metrics.py), read at scrape time."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from souk.orders.models import Order
from souk.orders.status import Status


def orders_by_status() -> dict[str, int]:
    """Orders placed so far, by their status now (one GROUP BY)."""
    return dict(Order.objects.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def deadlines_due(now: datetime) -> dict[str, int]:
    """Orders past a deadline that its sweep has not processed yet, per sweep (partial-index counts)."""
    return {
        "payment_window_expired": Order.objects.filter(status=Status.AWAITING_PAYMENT, pay_by__lte=now).count(),
        "ship_by_missed": Order.objects.filter(status=Status.AWAITING_SHIPMENT, ship_by__lte=now).count(),
        "protection_ended_due": Order.objects.filter(status=Status.AWAITING_DELIVERY,
                                                     protection_ends_at__lte=now).count(),
        "escrow_release_due": Order.objects.filter(status=Status.COMPLETED, escrow_settled_at__isnull=True,
                                                   completed_at__lte=now).count(),
    }
