"""A store's public record counts its disputes from the order timeline: how many paid orders were
disputed, how many of those went to Souk, and how many were decided against the seller."""

from __future__ import annotations

from datetime import timedelta

from souk.disputes.services import dispute_decide, dispute_escalate, dispute_open, dispute_withdraw
from souk.reputation.models import StoreDailyStats
from souk.reputation.selectors import store_metrics
from souk.reputation.stats import rebuild_stats, rollup_events


def test_dispute_rate_escalation_rate_and_share_against_the_seller(buyer, staff, shop, shipped_order):
    store = shop[0]
    orders = [shipped_order() for _ in range(4)]
    lost = dispute_open(
        buyer=buyer, order_id=orders[0].pk, reason="damaged", kind="refund_only", description="Broken."
    )
    dispute_escalate(user=buyer, party="buyer", dispute_id=lost.pk, now=lost.opened_at + timedelta(days=3))
    dispute_decide(staff=staff, dispute_id=lost.pk, outcome="full_refund", note="Photos show the damage.")
    dropped = dispute_open(
        buyer=buyer, order_id=orders[1].pk, reason="damaged", kind="refund_only", description="Broken?"
    )
    dispute_withdraw(buyer=buyer, dispute_id=dropped.pk)

    rollup_events(settle_seconds=0)
    m = store_metrics(store_id=store.pk)
    assert (m.orders_paid, m.disputed, m.disputes_escalated, m.disputes_against_seller) == (4, 2, 1, 1)
    assert (m.dispute_rate_pct, m.escalation_rate_pct, m.against_seller_pct) == (50.0, 50.0, 50.0)

    rolled = list(
        StoreDailyStats.objects.values_list(
            "day", "disputed", "disputes_escalated", "disputes_against_seller"
        )
    )
    rebuild_stats()
    assert (
        list(
            StoreDailyStats.objects.values_list(
                "day", "disputed", "disputes_escalated", "disputes_against_seller"
            )
        )
        == rolled
    )
