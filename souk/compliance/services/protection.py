"""Buyer protection extension: once per order, while it awaits delivery."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from souk.compliance.conf import setting
from souk.compliance.models import ProtectionExtension
from souk.compliance.notify import tell
from souk.core.errors import Conflict, ValidationFailed
from souk.orders import events
from souk.orders.services import lock_order, order_move_clock
from souk.orders.status import Status


def _clean_days(days) -> int:
    most = setting("PROTECTION_EXTENSION_MAX_DAYS")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= most:
        raise ValidationFailed(f"Choose between 1 and {most} days.", code="invalid_days", field="days")
    return days


def protection_extend(*, buyer, order_id: int, days: int, now: datetime | None = None) -> ProtectionExtension:
    """The buyer asks, once, for `days` more buyer protection on an order awaiting delivery.

    `protection_ends_at` moves in one UPDATE; the extension is recorded (one per order: a unique
    constraint), a timeline event written and the seller told. A second request is 409.
    """
    days = _clean_days(days)
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_id=order_id, buyer=buyer)
        if order.status != Status.AWAITING_DELIVERY or order.protection_ends_at is None:
            raise Conflict("Protection can only be extended while the order is on its way.",
                           code="order_not_awaiting_delivery")
        if ProtectionExtension.objects.filter(order=order).exists():
            raise Conflict("You have already extended protection on this order; it can be extended once.",
                           code="protection_already_extended")
        if order.protection_ends_at <= now:
            raise Conflict("Buyer protection on this order has already ended.", code="protection_ended")
        previous = order.protection_ends_at
        new_end = previous + timedelta(days=days)
        try:
            with transaction.atomic():
                extension = ProtectionExtension.objects.create(order=order, requested_by=buyer, days=days,
                                                               previous_ends_at=previous, new_ends_at=new_end,
                                                               created_at=now)
        except IntegrityError:
            raise Conflict("You have already extended protection on this order.",
                           code="protection_already_extended") from None
        order_move_clock(order=order, column="protection_ends_at", at=new_end)
        events.record(order_id=order.pk, kind="protection_extended", actor_role="buyer", actor=buyer,
                      message=f"The buyer extended buyer protection by {days} days, to {new_end:%d %b %Y}.",
                      data={"days": days, "previous_ends_at": previous.isoformat(),
                            "protection_ends_at": new_end.isoformat()}, now=now)
        tell(kind="protection_extended", recipients=[order.store.owner], order=order, actor=buyer, message=True,
             title=f"Order {order.number}: buyer protection extended",
             body=(f"The buyer extended buyer protection on order {order.number} by {days} days; "
                   f"it now ends on {new_end:%d %b %Y}."),
             data={"days": days, "protection_ends_at": new_end.isoformat()})
    return extension
