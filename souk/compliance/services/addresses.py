"""Address problems: a seller or a carrier flags an order's address, the buyer fixes it before `fix_by`,
or the worker cancels the order (`address_unusable`, platform fault) and refunds it.

Lock order, everywhere: the ORDER row first, then the problem row. `address_fix` and the expiry
handler both re-check the problem's state and `fix_by` under the order lock, so when the buyer fixes
the address as the window closes exactly one of them wins.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from souk.accounts.addresses import address_clean
from souk.compliance.conf import setting
from souk.compliance.models import AddressProblem
from souk.compliance.notify import tell
from souk.core.errors import Conflict, DomainError, ValidationFailed
from souk.orders import events
from souk.orders.models import Order
from souk.orders.services import lock_order, order_change_address, order_move_clock
from souk.orders.status import Status

logger = logging.getLogger("souk.compliance.addresses")

NOTE_MAX = 500
# Paid and not shipped: the parcel has not left, so the address can still change.
FIXABLE = (Status.AWAITING_SHIPMENT, Status.AWAITING_CANCELLATION)
SNAPSHOT_KEYS = ("name", "company_name", "street_address", "city", "city_area", "country_area", "postal_code",
                 "sorting_code", "country", "phone")


def _clean_report(reason: str, note: str) -> str:
    if reason not in AddressProblem.Reason.values:
        raise ValidationFailed(f"reason is one of: {', '.join(AddressProblem.Reason.values)}.",
                               code="invalid_reason", field="reason")
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"The note must be at most {NOTE_MAX} characters.", code="too_long", field="note")
    if reason == AddressProblem.Reason.OTHER and not note:
        raise ValidationFailed("Tell the buyer what is wrong with the address.", code="note_required", field="note")
    return note


def _move_ship_by(order: Order, delta: timedelta) -> None:
    """Shift the locked order's ship-by deadline (its timer follows: souk/orders/clocks.py)."""
    if order.ship_by is None or not delta:
        return
    order_move_clock(order=order, column="ship_by", at=order.ship_by + delta)


def _report(*, order: Order, reported_by: str, reporter, reason: str, note: str, now: datetime) -> AddressProblem:
    """The order is locked by the caller."""
    if order.status not in FIXABLE:
        raise Conflict("Only a paid order that has not shipped can have its address flagged.",
                       code="order_not_awaiting_shipment")
    if AddressProblem.objects.filter(order=order, state=AddressProblem.State.OPEN).exists():
        raise Conflict("This order's address is already flagged; the buyer has until the deadline to fix it.",
                       code="address_problem_open")
    fix_by = now + timedelta(hours=setting("ADDRESS_FIX_HOURS"))
    try:
        with transaction.atomic():
            problem = AddressProblem.objects.create(order=order, reported_by=reported_by, reporter=reporter,
                                                    reason=reason, note=note, fix_by=fix_by, created_at=now)
    except IntegrityError:  # the partial unique index: someone flagged it a moment ago
        raise Conflict("This order's address is already flagged.", code="address_problem_open") from None
    # The seller cannot ship to an address under repair: the ship-by clock pauses for the window
    # (and gets back what the buyer leaves unused, in address_fix), so it is never seller fault.
    _move_ship_by(order, fix_by - now)
    label = AddressProblem.Reason(reason).label
    who = "The seller" if reported_by == "seller" else "The carrier"
    events.record(order_id=order.pk, kind="address_problem_reported",
                  actor_role="seller" if reported_by == "seller" else "system", actor=reporter,
                  message=f"{who} reported a problem with the shipping address: {label}.",
                  data={"problem_id": problem.pk, "reason": reason, "note": note, "fix_by": fix_by.isoformat()},
                  now=now)
    tell(kind="address_problem_reported", recipients=[order.buyer], order=order, actor=reporter, message=True,
         title=f"Fix the address of order {order.number} by {fix_by:%d %b %Y, %H:%M} UTC",
         body=(f"{who} cannot use the shipping address of order {order.number}: {label}."
               f"{' ' + note if note else ''} Correct it from the order page by {fix_by:%d %b %Y, %H:%M} UTC, "
               "or the order will be cancelled and refunded."),
         data={"problem_id": problem.pk, "reason": reason, "fix_by": fix_by.isoformat()})
    from souk.compliance.tasks import address_fix_deadline

    address_fix_deadline.using(run_after=fix_by).enqueue(problem.pk)  # a task row in this transaction
    return problem


def address_problem_report(*, seller, order_id: int, reason: str, note: str = "",
                           now: datetime | None = None) -> AddressProblem:
    """The seller of a paid, unshipped order says its address cannot be used; the buyer gets a fix window."""
    note = _clean_report(reason, note)
    with transaction.atomic():
        order = lock_order(order_id=order_id, store__owner=seller)
        return _report(order=order, reported_by="seller", reporter=seller, reason=reason, note=note,
                       now=now or timezone.now())


def address_problem_from_carrier(*, order_id: int, reason: str, note: str = "",
                                 now: datetime | None = None) -> AddressProblem:
    """A carrier event (system actor) says the address cannot be used: same window as a seller's report."""
    note = _clean_report(reason, note)
    with transaction.atomic():
        order = lock_order(order_id=order_id)
        return _report(order=order, reported_by="carrier", reporter=None, reason=reason, note=note,
                       now=now or timezone.now())


def address_fix(*, buyer, order_id: int, address: dict[str, Any], now: datetime | None = None) -> AddressProblem:
    """The buyer corrects the address of an order with an open problem, before `fix_by`.

    Validated exactly as the address book does (`address_clean`); the destination country cannot
    change (shipping rates and customs rules were chosen for it). The order's `shipping_address`
    snapshot and `contact_phone` change in one UPDATE; the seller is told.
    """
    if not isinstance(address, dict):
        raise ValidationFailed("Send the address as an object.", code="invalid_input", field="address")
    cleaned = address_clean(address)
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_id=order_id, buyer=buyer)
        problem = (AddressProblem.objects.select_for_update()
                   .filter(order=order, state=AddressProblem.State.OPEN).first())
        if problem is None:
            raise Conflict("There is no address problem to fix on this order.", code="no_open_address_problem")
        if now >= problem.fix_by or order.status not in FIXABLE:
            raise Conflict("The time to fix this address is over.", code="address_fix_window_closed")
        old_country = str(order.shipping_address.get("country", ""))
        if cleaned["country"] != old_country:
            raise ValidationFailed("The destination country cannot change; cancel and order again to ship "
                                   "elsewhere.", code="country_cannot_change", field="country")
        snapshot = {key: cleaned.get(key, "") for key in SNAPSHOT_KEYS}
        order_change_address(order=order, snapshot=snapshot)
        _move_ship_by(order, -(problem.fix_by - now))
        AddressProblem.objects.filter(pk=problem.pk).update(state=AddressProblem.State.FIXED, fixed_at=now,
                                                            closed_at=now)
        problem.state, problem.fixed_at, problem.closed_at = AddressProblem.State.FIXED, now, now
        events.record(order_id=order.pk, kind="address_fixed", actor_role="buyer", actor=buyer,
                      message="The buyer corrected the shipping address.",
                      data={"problem_id": problem.pk, "address": snapshot}, now=now)
        tell(kind="address_fixed", recipients=[order.store.owner], order=order, actor=buyer, message=True,
             title=f"Order {order.number}: the buyer fixed the address",
             body=f"The buyer corrected the shipping address of order {order.number}; you can ship it now.",
             data={"problem_id": problem.pk})
    return problem


# --- The deadline -------------------------------------------------------------------------------

def expire_address_problems(*, limit: int | None = None, now: datetime | None = None,
                            problem_ids: list[int] | None = None) -> int:
    """Fix window over: cancel each order (`address_unusable`, platform fault), refunded, buyer told.

    Sweep and task handler in one: ONE transaction takes a batch of orders with a due open problem
    (`FOR UPDATE SKIP LOCKED`), locks their problems, re-checks both, and finishes each in a savepoint.
    A stale task (fixed meanwhile) finds nothing due and does nothing.
    """
    from souk.cancellations.services import order_cancel_by_system

    now = now or timezone.now()
    limit = limit or setting("COMPLIANCE_TIMER_BATCH")
    due = {"address_problems__state": AddressProblem.State.OPEN, "address_problems__fix_by__lte": now}
    if problem_ids is not None:
        due["address_problems__pk__in"] = problem_ids
    done = 0
    with transaction.atomic():
        orders = list(Order.objects.select_for_update(skip_locked=True, of=("self",)).filter(**due)
                      .order_by("address_problems__fix_by", "pk").only("pk", "status", "number")[:limit])
        if not orders:
            return 0
        problems = {p.order_id: p for p in AddressProblem.objects.select_for_update().filter(
            order_id__in=[o.pk for o in orders], state=AddressProblem.State.OPEN, fix_by__lte=now)}
        for order in orders:
            problem = problems.get(order.pk)
            if problem is None:
                continue
            try:
                with transaction.atomic():
                    AddressProblem.objects.filter(pk=problem.pk).update(state=AddressProblem.State.EXPIRED,
                                                                        closed_at=now)
                    if order.status in FIXABLE:
                        order_cancel_by_system(order_id=order.pk, reason="address_unusable", now=now)
                    else:  # shipped or cancelled meanwhile: nothing left to cancel
                        events.record(order_id=order.pk, kind="address_problem_closed", actor_role="system",
                                      message="The address-fix window ended; the order had already moved on.",
                                      data={"problem_id": problem.pk, "status": order.status}, now=now)
                done += 1
            except DomainError:
                logger.exception("address problem %s could not be finished", problem.pk)
    return done
