"""Figures about refunds and payments for /metrics (souk/web/metrics.py), read at scrape time."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count

from souk.payments.models import Payment, Refund

OPEN = ("pending", "requires_action")
# Age buckets of open refunds: (label, younger than).
AGES = (("lt_1h", timedelta(hours=1)), ("lt_1d", timedelta(days=1)), ("lt_7d", timedelta(days=7)))


def refunds_by_state() -> dict[str, int]:
    return dict(Refund.objects.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n"))


def open_refunds_by_age(now: datetime) -> list[tuple[str, str, int]]:
    """(state, age bucket, count) of refunds not settled yet: lt_1h, lt_1d, lt_7d, ge_7d."""
    out: dict[tuple[str, str], int] = {(s, label): 0 for s in OPEN for label in [*(a for a, _ in AGES), "ge_7d"]}
    for state, created_at in Refund.objects.filter(state__in=OPEN).values_list("state", "created_at").iterator():
        age = now - created_at
        label = next((a for a, limit in AGES if age < limit), "ge_7d")
        out[(state, label)] += 1
    return [(s, a, n) for (s, a), n in out.items()]


def deadlines_due(now: datetime) -> dict[str, int]:
    return {
        "refunds_due": Refund.objects.filter(state="pending", next_attempt_at__lte=now).count(),
        "payments_review_due": Payment.objects.filter(status=Payment.State.AUTHORIZED, review_by__lte=now).count(),
        "payments_reconcile_due": Payment.objects.filter(status=Payment.State.PENDING,
                                                         reconcile_after__lte=now).count(),
    }
