"""Order use cases after checkout: the one `transition()` every status change goes through.

Checkout and the cart live in `souk.orders.checkout` and `souk.orders.cart`; they are
re-exported here so callers have one place to import writes from.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from souk.core.errors import ErrorCollector, NotFound
from souk.orders import events
from souk.orders.cart import cart_add, cart_remove, cart_update
from souk.orders.checkout import CheckoutLine, checkout, checkout_cart
from souk.orders.locking import LOCK_FILTERS, lock_order_sql
from souk.orders.models import Order
from souk.orders.status import Action, Status, TransitionNotAllowed, next_status

__all__ = ["CheckoutLine", "cart_add", "cart_remove", "cart_update", "checkout", "checkout_cart", "lock_order",
           "order_confirm_receipt", "order_mark_shipped", "transition"]

TRACKING_RE = re.compile(r"^[A-Za-z0-9-]+$")


def lock_order(*, order_id: int, parties: bool = False, **filters: Any) -> Order:
    """The order row, locked (`SELECT ... FOR UPDATE`) until the surrounding transaction ends,
    with its store loaded (and, with `parties`, the buyer and the store's owner).

    `filters` express who may see it (`buyer=user`, `store__owner=user`): an order that
    exists but is not visible with them is NotFound, exactly like one that does not exist.
    Call inside `transaction.atomic()`. One precompiled statement for those filters
    (souk.orders.locking); any other filter goes through the ORM.
    """
    if set(filters) <= set(LOCK_FILTERS):
        return lock_order_sql(order_id=order_id, parties=parties, **filters)
    related = ("store", "buyer", "store__owner") if parties else ("store",)
    order = (Order.objects.select_for_update(of=("self",)).select_related(*related)
             .filter(pk=order_id, **filters).first())
    if order is None:
        raise NotFound("Order not found.", code="order_not_found")
    return order


def _timestamp_columns(action: Action, order: Order, to_status: Status, now: datetime) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    if action in (Action.PAY, Action.HOLD_FOR_VERIFICATION) and order.paid_at is None:
        cols["paid_at"] = now
    if to_status == Status.AWAITING_SHIPMENT and order.ship_by is None:
        # The handling-time clock starts once the money is in (and verified).
        cols["ship_by"] = now + timedelta(days=order.handling_days)
    if action == Action.SHIP:
        cols["shipped_at"] = now
    elif action == Action.CONFIRM_RECEIPT:
        cols["completed_at"] = now
    elif action == Action.CANCEL:
        cols["cancelled_at"] = now
    return cols


def transition(*, order: Order, action: Action, actor, actor_role: str, message: str = "",
               data: dict[str, Any] | None = None, now: datetime | None = None,
               changes: dict[str, Any] | None = None) -> Order:
    """Move `order` along the status table and write the timeline event.

    The caller MUST already hold the row lock (`lock_order(...)` inside
    `transaction.atomic()`): this function trusts `order.status` as read under it.
    Raises TransitionNotAllowed (409, `transition_not_allowed`) for a move the table
    forbids. `changes` are extra columns written in the same UPDATE (tracking, deadlines).
    Returns the same instance, updated.
    """
    now = now or timezone.now()
    current = Status(order.status)
    target = next_status(action, current)
    stamps = _timestamp_columns(Action(action), order, target, now)
    cols = {**stamps, **(changes or {})}
    with transaction.atomic(savepoint=False):  # the caller's transaction; no extra SAVEPOINT round trips
        # `status=current` guards against a caller that forgot the lock: a stale row updates nothing.
        updated = Order.objects.filter(pk=order.pk, status=current).update(
            status=target.value, updated_at=now, **cols)
        if updated == 1:
            events.record(order_id=order.pk, kind=Action(action).value, actor_role=actor_role, actor=actor,
                          message=message, data=data, from_status=current.value, to_status=target.value,
                          now=now)
            if "ship_by" in stamps and "ship_by" not in (changes or {}):
                # The handling-time clock just started: its timer commits with this change.
                from souk.cancellations.tasks import schedule_ship_by

                schedule_ship_by(order_id=order.pk, ship_by=stamps["ship_by"])
    if updated != 1:  # raised outside the block so the caller's transaction stays usable
        raise TransitionNotAllowed(Action(action), current)
    order.status = target.value
    order.updated_at = now
    for name, value in cols.items():
        setattr(order, name, value)
    return order


def _clean_shipping(carrier: str, tracking_number: str) -> tuple[str, str]:
    errors = ErrorCollector()
    carrier = (carrier or "").strip()
    tracking_number = (tracking_number or "").strip()
    if not carrier:
        errors.add("carrier", "required", "Enter the carrier.")
    elif len(carrier) > 80:
        errors.add("carrier", "too_long", "The carrier name must be at most 80 characters.")
    if not tracking_number:
        errors.add("tracking_number", "required", "Enter the tracking number.")
    elif len(tracking_number) > 80:
        errors.add("tracking_number", "too_long", "The tracking number must be at most 80 characters.")
    elif not TRACKING_RE.match(tracking_number):
        errors.add("tracking_number", "invalid_tracking_number",
                   "A tracking number has only letters, digits and dashes.")
    errors.raise_if_any()
    return carrier, tracking_number


@transaction.atomic
def order_mark_shipped(*, seller, order_id: int, carrier: str, tracking_number: str,
                       now: datetime | None = None) -> Order:
    """The seller hands the parcel to a carrier: tracking recorded, buyer protection starts."""
    carrier, tracking_number = _clean_shipping(carrier, tracking_number)
    now = now or timezone.now()
    order = lock_order(order_id=order_id, store__owner=seller)
    if order.status == Status.AWAITING_CANCELLATION:
        # Shipping is the seller's answer to the buyer's pending request: rejected as already shipped,
        # with this tracking, in this transaction (never a request left open on a shipped order).
        from souk.cancellations.services import cancellation_request_reject

        cancellation_request_reject(seller=seller, order_id=order.pk, reason="already_shipped", carrier=carrier,
                                    tracking_number=tracking_number, now=now)
        return lock_order(order_id=order.pk)
    order = transition(
        order=order, action=Action.SHIP, actor=seller, actor_role="seller", now=now,
        data={"carrier": carrier, "tracking_number": tracking_number},
        changes={"tracking_carrier": carrier, "tracking_number": tracking_number,
                 "protection_ends_at": now + timedelta(days=order.protection_days)})
    # When protection ends the worker completes the order and releases escrow (a sweep backs it up).
    from souk.payments.tasks import schedule_protection_end

    schedule_protection_end(order_id=order.pk, at=order.protection_ends_at)
    return order


@transaction.atomic
def order_confirm_receipt(*, buyer, order_id: int, now: datetime | None = None) -> Order:
    """The buyer says the parcel arrived: the order completes (escrow release follows)."""
    order = lock_order(order_id=order_id, buyer=buyer)
    order = transition(order=order, action=Action.CONFIRM_RECEIPT, actor=buyer, actor_role="buyer", now=now)
    from souk.payments.tasks import release_escrow_after_commit

    release_escrow_after_commit(order_id=order.pk)  # the seller is paid now, not at the next sweep
    return order
