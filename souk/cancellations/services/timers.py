"""Deadlines: pay_by, respond_by, ship_by. The row's column is the truth (docs/architecture.md,
Timers and side effects).

Each sweep takes up to a batch of due rows in ONE transaction with
`FOR UPDATE SKIP LOCKED` (several workers share the work, none takes a row
twice), re-checks the state in the WHERE clause, and finishes them. A task
scheduled with `run_after` calls the same function for one row (the fast
path); a stale task finds nothing due and does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from souk.cancellations import notify
from souk.cancellations.conf import setting
from souk.cancellations.models import Cancellation, CancellationRequest
from souk.cancellations.reasons import get_reason
from souk.cancellations.services.core import cancel_locked, void_authorisations
from souk.cancellations.services.requests import approve_locked
from souk.catalog.stock import stock_release
from souk.core.errors import DomainError
from souk.orders.models import Order, OrderEvent
from souk.orders.selectors import product_quantities
from souk.orders.status import Status
from souk.payments.selectors import orders_checking_payment

logger = logging.getLogger("souk.cancellations.timers")


def _due(status: Status, column: str, *, now: datetime, limit: int, order_ids: list[int] | None, extra=None,
         exclude=None):
    qs = Order.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        status=status, **{f"{column}__lte": now}, **(extra or {}))
    if exclude:
        qs = qs.exclude(**exclude)
    if order_ids is not None:
        qs = qs.filter(pk__in=order_ids)
    return qs.order_by(column, "pk")[:limit]


def expire_unpaid_orders(*, limit: int | None = None, now: datetime | None = None,
                         order_ids: list[int] | None = None) -> int:
    """Payment window over: cancel unpaid orders (`payment_not_completed`), release stock, tell the buyer.

    Set-based: one SELECT ... FOR UPDATE SKIP LOCKED, one UPDATE of the orders, one INSERT of the
    timeline events, one UPDATE of the stock, one INSERT of the cancellations, whatever the batch size.
    """
    now = now or timezone.now()
    limit = limit or setting("CANCELLATION_TIMER_BATCH")
    reason = get_reason("payment_not_completed")
    with transaction.atomic():
        # A payment started in time whose answer is still being checked keeps its order: the reconcile
        # sweep learns the outcome within PAYMENT_RECONCILE_GRACE_SECONDS, then this sweep runs again.
        rows = list(_due(Status.AWAITING_PAYMENT, "pay_by", now=now, limit=limit, order_ids=order_ids,
                         exclude={"pk__in": orders_checking_payment()})
                    .values_list("pk", "store_id"))
        if not rows:
            return 0
        ids = [pk for pk, _ in rows]
        Order.objects.filter(pk__in=ids, status=Status.AWAITING_PAYMENT).update(
            status=Status.CANCELLED, cancelled_at=now, updated_at=now)
        data = {"reason": reason.code, "fault": reason.fault.value, "note": "", "lines": [], "auto": True}
        OrderEvent.objects.bulk_create([
            OrderEvent(order_id=pk, kind="cancel", actor_role="system", from_status=Status.AWAITING_PAYMENT,
                       to_status=Status.CANCELLED, message=f"Cancelled automatically: {reason.label}.", data=data,
                       created_at=now) for pk in ids])
        stock_release(product_quantities(ids))
        Cancellation.objects.bulk_create([
            Cancellation(order_id=pk, store_id=store_id, lines=[], whole_order=True, actor_role="system",
                         reason=reason.code, fault=reason.fault.value, restocked=True, created_at=now)
            for pk, store_id in rows])
        void_authorisations(ids)
        # The buyers are told by `notify_cancellations`: the Cancellation rows (notified_at null) are
        # the outbox, so the deadline batch stays set-based and no notification can be lost.
        from souk.cancellations.tasks import notify_cancellations

        notify_cancellations.enqueue()
    return len(rows)


def notify_cancellations(*, limit: int | None = None) -> int:
    """Sweep: tell buyers about cancellations a deadline batch made (Cancellation.notified_at null).

    The notifications and the `notified_at` mark are written in one transaction, rows taken with
    FOR UPDATE SKIP LOCKED: every buyer is told exactly once, whichever worker gets there.
    """
    limit = limit or setting("CANCELLATION_TIMER_BATCH")
    now = timezone.now()
    with transaction.atomic():
        facts = list(Cancellation.objects.select_for_update(skip_locked=True, of=("self",))
                     .filter(notified_at__isnull=True).select_related("order", "order__buyer", "order__store")
                     .order_by("id")[:limit])
        if not facts:
            return 0
        with notify.coalesced_on_commit():
            for fact in facts:
                order, reason = fact.order, get_reason(fact.reason)
                notify.tell(kind="order_cancelled_unpaid", recipients=[order.buyer], order=order, message=False,
                            title=f"Order {order.number} cancelled",
                            body=f"Order {order.number} was cancelled: {reason.label}. Nothing was charged.",
                            data={"reason": fact.reason, "cancellation_id": fact.pk})
        Cancellation.objects.filter(pk__in=[f.pk for f in facts]).update(notified_at=now)
    return len(facts)


def _each(orders, handle) -> int:
    with notify.coalesced_on_commit():
        return _each_row(orders, handle)


def _each_row(orders, handle) -> int:
    done = 0
    for order in orders:
        try:
            with transaction.atomic():  # a savepoint: one bad row does not undo the batch
                handle(order)
            done += 1
        except DomainError:
            logger.exception("deadline for order %s could not be finished", order.pk)
    return done


def cancel_unshipped_orders(*, limit: int | None = None, now: datetime | None = None,
                            order_ids: list[int] | None = None) -> int:
    """Ship-by passed and nothing shipped: cancel (`ship_by_deadline_missed`, seller fault), full refund."""
    now = now or timezone.now()
    limit = limit or setting("CANCELLATION_TIMER_BATCH")
    reason = get_reason("ship_by_deadline_missed")
    with transaction.atomic():
        orders = list(_due(Status.AWAITING_SHIPMENT, "ship_by", now=now, limit=limit, order_ids=order_ids)
                      .select_related("store", "buyer", "store__owner"))
        return _each(orders, lambda order: cancel_locked(order=order, actor=None, actor_role="system",
                                                         reason=reason, now=now))


def auto_approve_requests(*, limit: int | None = None, now: datetime | None = None,
                          request_ids: list[int] | None = None) -> int:
    """The seller did not answer by respond_by: the request is approved automatically (`auto_approved`)."""
    now = now or timezone.now()
    limit = limit or setting("CANCELLATION_TIMER_BATCH")
    pending = {"cancellation_requests__state": CancellationRequest.State.PENDING,
               "cancellation_requests__respond_by__lte": now}
    if request_ids is not None:
        pending["cancellation_requests__pk__in"] = request_ids
    with transaction.atomic():
        _close_orphans(now, request_ids)
        orders = list(Order.objects.select_for_update(skip_locked=True, of=("self",))
                      .select_related("store", "buyer", "store__owner")
                      .filter(status=Status.AWAITING_CANCELLATION, **pending)
                      .order_by("cancellation_requests__respond_by", "pk")[:limit])
        if not orders:
            return 0
        requests = {r.order_id: r for r in CancellationRequest.objects.select_for_update().filter(
            order_id__in=[o.pk for o in orders], state=CancellationRequest.State.PENDING, respond_by__lte=now)}
        return _each([o for o in orders if o.pk in requests],
                     lambda order: approve_locked(order=order, request=requests[order.pk], actor=None,
                                                  actor_role="system", now=now, auto=True))


def _close_orphans(now: datetime, request_ids: list[int] | None) -> None:
    """A request whose order shipped without answering it (the plain Ship action) is closed as rejected."""
    qs = CancellationRequest.objects.filter(
        state=CancellationRequest.State.PENDING, respond_by__lte=now,
        order__status__in=[Status.AWAITING_DELIVERY, Status.COMPLETED])
    if request_ids is not None:
        qs = qs.filter(pk__in=request_ids)
    qs.update(state=CancellationRequest.State.REJECTED, reject_reason="already_shipped", answered_at=now)
