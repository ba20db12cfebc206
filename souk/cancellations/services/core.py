"""What every cancellation path shares, for an order row the caller has LOCKED.

`cancel_locked` is the one place an order (or some of its lines) is cancelled:
status change + timeline event, stock back on sale (one UPDATE), the refund
promised (the policy's amount through payments' `refund_create_locked`, ledger
in the same transaction), its
processing queued (a task row, visible to the worker only at commit), any
authorisation voided, the `Cancellation` fact, and the other party told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from souk.cancellations import notify
from souk.cancellations.conf import setting
from souk.cancellations.error_codes import ErrorCode
from souk.cancellations.models import Cancellation, CancellationRequest
from souk.cancellations.policy import Decision, OrderSnapshot, Outcome, decide_cancellation
from souk.cancellations.reasons import Actor, Reason
from souk.catalog.stock import stock_release, stock_zero
from souk.core.errors import Conflict
from souk.core.money import format_money
from souk.ledger.selectors import order_held_minor
from souk.orders.lines import LineState, check_lines, goods_minor
from souk.orders.lines import line_states as orders_line_states
from souk.orders.models import Order
from souk.orders.services import lock_order, transition
from souk.orders.status import PAID, Action, Status
from souk.payments.models import Payment, Refund
from souk.payments.selectors import captured_payment
from souk.payments.services.refunds import refund_create_locked

__all__ = ["CancelResult", "CancellationRefused", "LineState", "cancel_locked", "check_lines", "decide_or_refuse",
           "held_minor", "line_states", "lock_order_with_parties", "pause_ship_by", "snapshot",
           "void_authorisations"]


class CancellationRefused(Conflict):
    """The policy says no: the body carries the policy's `why_not` and `next_step` for a person."""

    code = ErrorCode.ORDER_NOT_CANCELLABLE

    def __init__(self, decision: Decision):
        super().__init__(decision.why_not, code=decision.code or self.code)
        self.why_not = decision.why_not
        self.next_step = decision.next_step
        self.next_action = decision.next_action

    def as_dict(self) -> dict:
        return {**super().as_dict(), "why_not": self.why_not, "next_step": self.next_step,
                "next_action": self.next_action}


@dataclass(frozen=True)
class CancelResult:
    outcome: Outcome
    order: Order
    request: CancellationRequest | None = None
    refund: Refund | None = None
    cancellation: Cancellation | None = None


def held_minor(order: Order) -> int:
    """Money of this order still in escrow (0 before payment): the ledger's escrow selector."""
    if order.status not in PAID and order.status != Status.PAYMENT_VERIFICATION:
        return 0
    return order_held_minor(order.pk, order.currency)


def lock_order_with_parties(*, order_id: int, with_held: bool = True, **filters: Any) -> tuple[Order, int | None]:
    """`orders.services.lock_order` (`SELECT ... FOR UPDATE` of the order row; NotFound when not
    visible with `filters`), with the store, its owner and the buyer (the people told) in the same
    statement (`lock_order(parties=True)`); then the money held (`held_minor`), read AFTER the lock so
    that it includes what the previous holder committed."""
    order = lock_order(order_id=order_id, parties=True, **filters)
    return order, (held_minor(order) if with_held else None)


def snapshot(order: Order, *, held: int | None = None, respond_by: datetime | None = None,
             states: list[LineState] | None = None, lines: list[dict] | None = None) -> OrderSnapshot:
    """What the policy sees of `order`; with `states` and `lines`, the lines to cancel (their goods)."""
    goods: dict[str, int] = {}
    if states is not None and lines:
        before, now_goods = goods_minor(states, lines)
        goods = {"goods_before_minor": before, "goods_minor": now_goods}
    return OrderSnapshot(status=Status(order.status), total_minor=order.total_minor,
                         held_minor=held_minor(order) if held is None else held, respond_by=respond_by,
                         subtotal_minor=order.subtotal_minor, shipping_minor=order.shipping_minor, **goods)


def decide_or_refuse(order: Order, actor: Actor, now: datetime, *, held: int | None = None,
                     respond_by: datetime | None = None, states: list[LineState] | None = None,
                     lines: list[dict] | None = None) -> Decision:
    decision = decide_cancellation(snapshot(order, held=held, respond_by=respond_by, states=states, lines=lines),
                                   actor, now)
    if not decision.allowed:
        raise CancellationRefused(decision)
    return decision


def line_states(order_id: int) -> list[LineState]:
    """The order's lines with what is left of each after earlier partial cancellations (2 queries: the
    cancellations' line lists, then the lines through the orders app's one line count)."""
    return orders_line_states(order_id, Cancellation.objects.filter(order_id=order_id).values_list("lines",
                                                                                                  flat=True))


def void_authorisations(order_ids: list[int]) -> None:
    """Authorisations of orders cancelled before capture are released by payments (`payment_verify`
    voids the hold of a cancelled order; its review sweep does the same if this task is lost)."""
    from souk.payments.tasks import decide_review

    for order_id in (Payment.objects.filter(order_id__in=order_ids, status=Payment.State.AUTHORIZED)
                     .values_list("order_id", flat=True).distinct()):
        decide_review.enqueue(order_id, False)


def pause_ship_by(order: Order, request: CancellationRequest, now: datetime) -> dict[str, Any]:
    """Columns for a RESUME: the seller's handling clock did not run while the request was pending."""
    if not setting("CANCELLATION_PAUSE_SHIP_BY") or order.ship_by is None:
        return {}
    return {"ship_by": order.ship_by + max(timedelta(0), now - request.created_at)}


ROLE_WORDS = {"buyer": "the buyer", "seller": "the seller", "staff": "Souk", "system": "Souk"}


def cancel_locked(*, order: Order, actor, actor_role: str, reason: Reason, note: str = "",
                  lines: list[dict] | None = None, states: list[LineState] | None = None,
                  request: CancellationRequest | None = None, auto: bool = False, now: datetime,
                  held: int | None = None) -> tuple[Cancellation, Refund | None]:
    """Cancel `lines` (or everything left) of the locked `order`. See the module docstring.

    The refund is the policy's decision (`decide_cancellation`'s `refund_minor`), decided here under
    the lock from what the ledger holds and what was cancelled before."""
    if states is None:
        states = line_states(order.pk)
    lines = lines or []
    if lines:
        qty = {i["line_id"]: i["quantity"] for i in lines}
        cancelled = [(s, qty.get(s.line_id, 0)) for s in states]
    else:
        cancelled = [(s, s.remaining) for s in states]
    whole = all(n == s.remaining for s, n in cancelled)
    from_status = Status(order.status)
    decision = decide_or_refuse(order, Actor(actor_role), now, held=held, states=states,
                                lines=None if whole else lines)
    what = "Cancelled" if whole else "Some items cancelled"
    if request is not None:
        who = ("- the buyer's request was approved automatically (the seller did not answer in time)" if auto
               else "- the seller approved the buyer's request")
    elif actor_role == "system":  # a deadline or a rule, not a person: say so (e.g. the seller did not ship)
        who = "automatically"
    else:
        who = f"by {ROLE_WORDS[actor_role]}"
    data = {"reason": reason.code, "fault": reason.fault.value, "note": note, "lines": lines,
            "request_id": request.pk if request else None, "auto": auto}
    message = f"{what} {who}: {reason.label}."
    if whole:
        transition(order=order, action=Action.CANCEL, actor=actor, actor_role=actor_role, now=now,
                   message=message, data=data)
    else:
        # Partial: the rest of the order goes on (back to awaiting shipment after a request).
        transition(order=order, action=Action.RESUME, actor=actor, actor_role=actor_role, now=now,
                   message=message, data=data, changes=pause_ship_by(order, request, now) if request else None)
    if from_status == Status.AWAITING_CANCELLATION and request is None:
        # A seller/platform cancellation settles the buyer's pending request too.
        CancellationRequest.objects.filter(order=order, state=CancellationRequest.State.PENDING).update(
            state=CancellationRequest.State.APPROVED, answered_by=actor, answered_at=now)
    restocked = reason.restock and any(n for _, n in cancelled)
    if restocked:
        quantities: dict[int, int] = {}
        for s, n in cancelled:
            if s.product_id is not None:
                quantities[s.product_id] = quantities.get(s.product_id, 0) + n
        stock_release(quantities)
    if reason.sold_out:
        # The seller ran out: the listing must not sell the same units again until they restock.
        stock_zero(s.product_id for s, n in cancelled if n)
    refund = None
    tasks: list = []
    if decision.refund_minor > 0:
        key = f"cancel-request-{request.pk}" if request else f"cancel-order-{order.pk}"
        refund = refund_create_locked(order=order, payment=captured_payment(order_id=order.pk),
                                      amount_minor=decision.refund_minor, lines=[] if whole else lines,
                                      reason=reason.code[:64], actor=actor, actor_role=actor_role,
                                      idempotency_key=key, now=now)
        if refund.state == Refund.State.PENDING:
            from souk.payments.tasks import process_refund

            tasks.append((process_refund, (refund.pk,)))
    if from_status in (Status.AWAITING_PAYMENT, Status.PAYMENT_VERIFICATION):
        void_authorisations([order.pk])
    cancellation = Cancellation.objects.create(
        order=order, store_id=order.store_id, request=request, lines=lines, whole_order=whole,
        actor_role=actor_role, actor=actor, reason=reason.code, fault=reason.fault.value, note=note,
        refund=refund, refund_minor=refund.amount_minor if refund else 0, restocked=restocked, created_at=now,
        notified_at=now)
    _tell_cancelled(order=order, actor=actor, actor_role=actor_role, reason=reason, whole=whole,
                    refund=refund, auto=auto, request=request, tasks=tasks)
    # The refund's processing and the notifications' delivery: task rows in THIS transaction (one
    # INSERT), visible to the worker once it commits; the refunds and outbox sweeps are the net.
    from souk.core.tasks import enqueue_together

    enqueue_together(tasks)
    return cancellation, refund


def _tell_cancelled(*, order: Order, actor, actor_role: str, reason: Reason, whole: bool, refund: Refund | None,
                    auto: bool, request: CancellationRequest | None, tasks: list) -> None:
    what = "cancelled" if whole else "partly cancelled"
    refund_text = (f" A refund of {format_money(refund.amount_minor, refund.currency)} has started; "
                   f"expect it by {refund.expected_by:%d %b %Y}." if refund else "")
    data = {"reason": reason.code, "fault": reason.fault.value, "refund_id": refund.pk if refund else None}
    items: list[dict] = []
    if request is not None:
        kind = "cancellation_auto_approved" if auto else "cancellation_approved"
        body = (f"Your cancellation request for order {order.number} was "
                f"{'approved automatically: the seller did not answer in time' if auto else 'approved'}."
                f" The order is {what}.{refund_text}")
        items.append(dict(kind=kind, recipients=[order.buyer], order=order, title=f"Order {order.number} {what}",
                          body=body, data=data, actor=actor))
    elif actor_role == "buyer":
        items.append(dict(kind="order_cancelled_by_buyer", recipients=[order.store.owner], order=order,
                          title=f"Order {order.number} cancelled by the buyer",
                          body=f"The buyer cancelled order {order.number} before paying: {reason.label}.",
                          data=data, actor=actor))
    elif reason.code == "ship_by_deadline_missed":
        # Say what happened, not "by Souk" (docs/notifications.md, Cancellation kinds).
        by_date = f"{order.ship_by:%d %b %Y}" if order.ship_by else "the ship-by date"
        items.append(dict(kind="order_cancelled_not_shipped", recipients=[order.buyer], order=order,
                          message=False, data=data, actor=actor,
                          title=f"Order {order.number} cancelled: the seller did not ship it in time",
                          body=f"Order {order.number} was cancelled because the seller did not ship it by "
                               f"{by_date}. You are refunded in full.{refund_text}"))
        items.append(dict(kind="order_cancelled_not_shipped", recipients=[order.store.owner], order=order,
                          data=data, actor=actor,
                          title=f"Order {order.number} cancelled: not shipped by {by_date}",
                          body=f"Order {order.number} was cancelled because it was not shipped by {by_date}, "
                               "its ship-by deadline. The buyer is refunded in full."))
    else:
        by = {"seller": "the seller", "staff": "Souk", "system": "Souk"}[actor_role]
        items.append(dict(kind=f"order_cancelled_by_{'seller' if actor_role == 'seller' else 'platform'}",
                          recipients=[order.buyer, order.store.owner] if actor_role != "seller" else [order.buyer],
                          order=order, title=f"Order {order.number} {what}",
                          body=f"Order {order.number} was {what} by {by}: {reason.label}.{refund_text}",
                          data=data, actor=actor))
    if refund is not None:
        items.append(dict(kind="refund_started", recipients=[order.buyer], order=order,
                          title=f"Refund started for order {order.number}",
                          body=f"A refund of {format_money(refund.amount_minor, refund.currency)} to your "
                               f"{refund.method} has started; expect it by {refund.expected_by:%d %b %Y}.",
                          data={"refund_id": refund.pk}, actor=actor, message=False))
    notify.tell_many(items, tasks=tasks)
