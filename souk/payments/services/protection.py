"""Buyer protection ends: the order completes and its escrow goes to the seller (docs/money.md,
Order and payment lifecycle).

`protection_ends_at` is set when the seller ships (`order_mark_shipped`). When it
passes with the order still awaiting delivery, the worker completes the order as
if the buyer had confirmed receipt (actor `system`, recorded as protection ended)
and releases the escrow in the same transaction. An order frozen by an open dispute
(`Order.frozen_at`) is skipped: its clock resumes, with the time it had left, when it closes. The task scheduled for that
moment (`souk.payments.tasks.end_protection`) is the fast path; the sweep
`protection_ended_due` is the safety net and alone reaches the same end state.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from souk.orders.models import Order
from souk.orders.services import lock_order, transition
from souk.orders.status import Action, Status
from souk.payments.services.escrow import escrow_release

__all__ = ["order_protection_end", "protection_ended_due"]

logger = logging.getLogger(__name__)

MESSAGE = "Buyer protection ended without a problem reported: the order is complete."


def _end(order: Order, now: datetime) -> None:
    """Complete a locked order whose protection ended, and release its escrow (same transaction)."""
    transition(order=order, action=Action.CONFIRM_RECEIPT, actor=None, actor_role="system", now=now,
               message=MESSAGE, data={"why": "protection_ended",
                                      "protection_ends_at": order.protection_ends_at.isoformat()})
    escrow_release(order_id=order.pk, now=now)


def order_protection_end(*, order_id: int, now: datetime | None = None) -> bool:
    """End one order's buyer protection if it is due; False when there is nothing to do (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        if (order.status != Status.AWAITING_DELIVERY or order.protection_ends_at is None
                or order.protection_ends_at > now or order.frozen_at is not None):
            return False
        _end(order, now)
    return True


def protection_ended_due(*, limit: int = 50, now: datetime | None = None) -> int:
    """Sweep: orders awaiting delivery whose protection ended, locked in a batch (SKIP LOCKED), completed."""
    now = now or timezone.now()
    with transaction.atomic():
        orders = list(Order.objects.select_for_update(skip_locked=True, of=("self",))
                      .filter(status=Status.AWAITING_DELIVERY, protection_ends_at__lte=now, frozen_at__isnull=True)
                      .order_by("protection_ends_at")
                      .only("pk", "status", "store_id", "currency", "protection_ends_at", "paid_at")[:limit])
        done = 0
        for order in orders:
            try:
                with transaction.atomic():  # savepoint: one broken order must not hold back the batch
                    _end(order, now)
                done += 1
            except Exception:
                logger.exception("ending buyer protection of order %s failed; retried next sweep", order.pk)
    return done
