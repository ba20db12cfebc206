"""Shipping and receipt: the seller hands the parcel to a carrier, the buyer confirms it arrived.

A workflow over owners (docs/architecture.md): the order's status and tracking belong to
`orders`, the pending cancellation request a shipment answers to `cancellations`, the escrow
release that follows receipt to `payments`. Each step here is one transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from souk.cancellations.services import cancellation_request_reject
from souk.core.errors import ErrorCollector
from souk.messaging.services import post_system_message
from souk.notifications.services import notify
from souk.notifications.shipping import shipped_notice
from souk.orders.models import Order
from souk.orders.services import lock_order, order_ship_locked, transition
from souk.orders.status import Action, Status
from souk.orders.tracking import clean_tracking
from souk.payments.tasks import release_escrow_after_commit

__all__ = ["order_confirm_receipt", "order_mark_shipped"]


@transaction.atomic
def order_mark_shipped(*, seller, order_id: int, carrier: str, tracking_number: str,
                       now: datetime | None = None) -> Order:
    """The seller hands the parcel to a carrier: tracking recorded, buyer protection starts."""
    errors = ErrorCollector()
    carrier, tracking_number = clean_tracking(errors, carrier, tracking_number)
    errors.raise_if_any()
    now = now or timezone.now()
    order = lock_order(order_id=order_id, store__owner=seller)
    if order.status == Status.AWAITING_CANCELLATION:
        # Shipping is the seller's answer to the buyer's pending request: rejected as already shipped,
        # with this tracking, in this transaction (never a request left open on a shipped order).
        cancellation_request_reject(seller=seller, order_id=order.pk, reason="already_shipped", carrier=carrier,
                                    tracking_number=tracking_number, now=now)
        return lock_order(order_id=order.pk)  # the rejection told the buyer it shipped, with tracking
    # When protection ends the worker completes the order and releases escrow (a sweep backs it up).
    order = order_ship_locked(order=order, carrier=carrier, tracking_number=tracking_number, actor=seller, now=now)
    notice = shipped_notice(order)  # the buyer hears it once, with the shipment; the thread says so too
    notify(recipients=[order.buyer], order=order, actor=seller, **notice)
    post_system_message(order=order, body=notice["body"], data={"kind": notice["kind"], **notice["data"]})
    return order


@transaction.atomic
def order_confirm_receipt(*, buyer, order_id: int, now: datetime | None = None) -> Order:
    """The buyer says the parcel arrived: the order completes (escrow release follows)."""
    order = lock_order(order_id=order_id, buyer=buyer)
    order = transition(order=order, action=Action.CONFIRM_RECEIPT, actor=buyer, actor_role="buyer", now=now)
    release_escrow_after_commit(order_id=order.pk)  # the seller is paid now, not at the next sweep
    return order
