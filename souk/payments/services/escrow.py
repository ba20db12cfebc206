"""Escrow release: when an order completes, what it still holds goes to the seller less commission."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from souk.core.money import minor_to_money
from souk.ledger.models import JournalEntry
from souk.ledger.movements import post_release
from souk.ledger.selectors import order_held_minor
from souk.orders import events
from souk.orders.models import Order
from souk.orders.services import lock_order, order_mark_escrow_settled
from souk.orders.status import Status
from souk.payments import policy
from souk.payments.models import Refund


def escrow_release(*, order_id: int, now: datetime | None = None) -> JournalEntry | None:
    """Release a completed order's escrow (once; later calls find nothing held and do nothing).

    Waits while a refund of the order is still open: its money is already out of
    escrow, but a failure would bring it back, and that must be released too. Waits while the
    order is frozen by an open dispute (`Order.frozen_at`): the dispute's close releases it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        if order.status != Status.COMPLETED or order.frozen_at is not None:
            return None
        if Refund.objects.filter(order_id=order.pk, state__in=["pending", "requires_action"]).exists():
            return None
        held = order_held_minor(order.pk, order.currency)
        # Settled from now on, released or not (nothing held: refunded in full, or never paid),
        # so the sweep never looks at this order again.
        order_mark_escrow_settled(order=order, now=now)
        if held <= 0:
            return None
        commission = policy.commission_minor(held)
        entry = post_release(order_id=order.pk, store_id=order.store_id,
                             amount=minor_to_money(held, order.currency),
                             commission=minor_to_money(commission, order.currency), memo="order completed")
        events.record(order_id=order.pk, kind="escrow_released", actor_role="system", now=now,
                      data={"amount_minor": held, "commission_minor": commission},
                      message="Payment released to the seller.")
        return entry


def escrow_release_due(*, limit: int = 50) -> int:
    """Sweep: completed orders whose escrow is not settled yet (a partial index holds only those),
    oldest first, skipping those with a refund still open (they are retried once it closes)."""
    open_refunds = Refund.objects.filter(state__in=["pending", "requires_action"]).values("order_id")
    ids = list(Order.objects.filter(status=Status.COMPLETED, escrow_settled_at__isnull=True, frozen_at__isnull=True)
               .exclude(pk__in=open_refunds).order_by("completed_at").values_list("pk", flat=True)[:limit])
    released = 0
    for order_id in ids:
        released += escrow_release(order_id=order_id) is not None
    return released
