"""Order use cases after checkout: the one `transition()` every status change goes through.

The cart lives in `souk.orders.cart` and is re-exported here; checkout is the workflow app
`souk.checkout`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from souk.core.errors import NotFound
from souk.orders import clocks, events
from souk.orders.cart import cart_add, cart_remove, cart_update
from souk.orders.clocks import STATUS_CLOCKS
from souk.orders.locking import LOCK_FILTERS, lock_order_sql
from souk.orders.models import Order
from souk.orders.status import Action, Status, TransitionNotAllowed, next_status

__all__ = ["cart_add", "cart_remove", "cart_update", "lock_order", "lock_order_if_free", "order_change_address", "order_freeze",
           "order_mark_escrow_settled", "order_move_clock",
           "order_ship_locked", "order_unfreeze", "transition"]


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


def lock_order_if_free(*, order_id: int, parties: bool = False) -> Order | None:
    """`lock_order` for a sweep: the order locked (`FOR UPDATE SKIP LOCKED`), or None when another
    transaction holds it (a service or another worker: the next sweep comes back) or it is gone."""
    related = ("store", "buyer", "store__owner") if parties else ("store",)
    return (Order.objects.select_for_update(skip_locked=True, of=("self",)).select_related(*related)
            .filter(pk=order_id).first())


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
            column = STATUS_CLOCKS.get(target)
            if column is not None:  # entering the status (re)starts its clock; the timer commits with it
                clocks.start_clock(order.pk, column, cols[column] if column in cols else getattr(order, column))
    if updated != 1:  # raised outside the block so the caller's transaction stays usable
        raise TransitionNotAllowed(Action(action), current)
    order.status = target.value
    order.updated_at = now
    for name, value in cols.items():
        setattr(order, name, value)
    return order


def order_move_clock(*, order: Order, column: str, at: datetime) -> Order:
    """Move a running clock of the locked `order` (`ship_by` paused for an address fix, buyer protection
    extended) without a status change: the column written and the clock's registered timers scheduled
    for the new time (souk/orders/clocks.py), in the caller's transaction."""
    if column not in STATUS_CLOCKS.values():
        raise ValueError(f"{column!r} is not an order clock")
    Order.objects.filter(pk=order.pk).update(**{column: at})
    setattr(order, column, at)
    clocks.start_clock(order.pk, column, at)
    return order


def order_freeze(*, order: Order, now: datetime) -> Order:
    """Freeze the locked `order` (a dispute opened): its escrow is not released and its buyer-protection
    clock does not end it until `order_unfreeze`. Payments' release and protection-end paths skip a
    frozen order (souk/payments/services/escrow.py, protection.py). Freezing a frozen order keeps the
    first moment."""
    if order.frozen_at is None:
        Order.objects.filter(pk=order.pk).update(frozen_at=now)
        order.frozen_at = now
    return order


def order_unfreeze(*, order: Order, now: datetime) -> Order:
    """Unfreeze the locked `order`: buyer protection gets back the time it had left when frozen (its
    end moves on by the frozen span, the clock's timers rescheduled, `order_move_clock`). The caller
    then releases the escrow of a completed order (`payments.tasks.release_escrow_after_commit`)."""
    if order.frozen_at is None:
        return order
    frozen_for = max(timedelta(0), now - order.frozen_at)
    Order.objects.filter(pk=order.pk).update(frozen_at=None)
    order.frozen_at = None
    if order.status == Status.AWAITING_DELIVERY and order.protection_ends_at is not None:
        order_move_clock(order=order, column="protection_ends_at", at=order.protection_ends_at + frozen_for)
    return order


def order_mark_escrow_settled(*, order: Order, now: datetime) -> Order:
    """The locked, completed `order`'s escrow is settled (released, or nothing was left to release):
    the release sweep never looks at it again (payments' `escrow_release`, docs/money.md)."""
    Order.objects.filter(pk=order.pk).update(escrow_settled_at=now)
    order.escrow_settled_at = now
    return order


def order_change_address(*, order: Order, snapshot: dict[str, Any]) -> Order:
    """Replace the locked `order`'s shipping address snapshot and contact phone (compliance's address
    fix; the caller validated `snapshot` and records the timeline event)."""
    Order.objects.filter(pk=order.pk).update(shipping_address=snapshot, contact_phone=snapshot["phone"])
    order.shipping_address, order.contact_phone = snapshot, snapshot["phone"]
    return order


def order_ship_locked(*, order: Order, carrier: str, tracking_number: str, actor, actor_role: str = "seller",
                      now: datetime, message: str = "", data: dict[str, Any] | None = None) -> Order:
    """The parcel left with `carrier` (validated by `souk.orders.tracking.clean_tracking`): the SHIP
    transition of the locked `order`, tracking recorded, buyer protection's clock started. The one
    ship step, whether the seller ships or answers a cancellation request with "already shipped"."""
    return transition(
        order=order, action=Action.SHIP, actor=actor, actor_role=actor_role, now=now, message=message,
        data={**(data or {}), "carrier": carrier, "tracking_number": tracking_number},
        changes={"tracking_carrier": carrier, "tracking_number": tracking_number,
                 "protection_ends_at": now + timedelta(days=order.protection_days)})
