"""Cancellations that happen at once: by the seller, by staff (platform reasons), by the system (deadlines)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from souk.cancellations.models import CancellationRequest
from souk.cancellations.policy import Decision, Outcome, check_reason, decide_cancellation
from souk.cancellations.reasons import Actor
from souk.cancellations.services.core import (
    CancelResult,
    cancel_locked,
    decide_or_refuse,
    held_minor,
    snapshot,
)
from souk.core.errors import Forbidden
from souk.orders.models import Order
from souk.orders.services import lock_order


def cancellation_options(*, order: Order, actor_role: str, now: datetime | None = None) -> Decision:
    """The policy's decision for `actor_role` on `order` right now (for a page or the API; no lock)."""
    respond_by = None
    if order.status == "awaiting_cancellation":
        respond_by = (CancellationRequest.objects.filter(order=order, state=CancellationRequest.State.PENDING)
                      .values_list("respond_by", flat=True).first())
    return decide_cancellation(snapshot(order, respond_by=respond_by), Actor(actor_role), now or timezone.now())


def _cancel_now(*, order_id: int, filters: dict, actor, actor_role: Actor, reason: str, note: str,
                now: datetime | None) -> CancelResult:
    note = (note or "").strip()
    chosen = check_reason(actor_role, reason, note)
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_id=order_id, **filters)
        held = held_minor(order)
        decide_or_refuse(order, actor_role, now, held=held)
        cancellation, refund = cancel_locked(order=order, actor=actor, actor_role=actor_role.value, reason=chosen,
                                             note=note, now=now, held=held)
        return CancelResult(Outcome.CANCEL_NOW, order, refund=refund, cancellation=cancellation)


def order_cancel_by_seller(*, seller, order_id: int, reason: str, note: str = "",
                           now: datetime | None = None) -> CancelResult:
    """The seller cancels their store's unshipped order (out of stock...): full refund, counted by fault."""
    return _cancel_now(order_id=order_id, filters={"store__owner": seller}, actor=seller, actor_role=Actor.SELLER,
                       reason=reason, note=note, now=now)


def order_cancel_by_staff(*, staff, order_id: int, reason: str, note: str = "",
                          now: datetime | None = None) -> CancelResult:
    """Souk staff cancel any unshipped order with a platform reason (quality control, customs, risk...)."""
    if not getattr(staff, "is_staff", False):
        raise Forbidden("Only Souk staff can cancel orders for the platform.", code="staff_only")
    return _cancel_now(order_id=order_id, filters={}, actor=staff, actor_role=Actor.STAFF, reason=reason,
                       note=note, now=now)


def order_cancel_by_system(*, order_id: int, reason: str, now: datetime | None = None) -> CancelResult:
    """A deadline or a rule cancels the order (no person acts)."""
    return _cancel_now(order_id=order_id, filters={}, actor=None, actor_role=Actor.SYSTEM, reason=reason, note="",
                       now=now)
