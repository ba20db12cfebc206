"""What every cancellation path shares, for an order row the caller has LOCKED.

`cancel_locked` is the one place an order (or some of its lines) is cancelled:
status change + timeline event, stock back on sale (one UPDATE), the refund
promised (payments' `refund_create`, ledger in the same transaction), its
processing queued (a task row, visible to the worker only at commit), any
authorisation voided, the `Cancellation` fact, and the other party told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from souk.cancellations import notify
from souk.cancellations.conf import setting
from souk.cancellations.models import Cancellation, CancellationRequest
from souk.cancellations.policy import Decision, OrderSnapshot, Outcome, decide_cancellation
from souk.cancellations.reasons import Actor, Reason
from souk.catalog.stock import stock_release, stock_zero
from souk.core.errors import Conflict, ErrorCollector
from souk.core.money import format_money
from souk.ledger import rows
from souk.ledger.chart import Account
from souk.orders.models import Order, OrderLine
from souk.orders.services import lock_order, transition
from souk.orders.status import PAID, Action, Status
from souk.payments.models import Payment, Refund
from souk.payments.services import RefundLine, refund_create
from souk.payments.services.refunds import refund_create_locked


class CancellationRefused(Conflict):
    """The policy says no: the body carries the policy's `why_not` and `next_step` for a person."""

    code = "order_not_cancellable"

    def __init__(self, decision: Decision):
        super().__init__(decision.why_not, code=decision.code or self.code)
        self.why_not = decision.why_not
        self.next_step = decision.next_step

    def as_dict(self) -> dict:
        return {**super().as_dict(), "why_not": self.why_not, "next_step": self.next_step}


@dataclass(frozen=True)
class CancelResult:
    outcome: Outcome
    order: Order
    request: CancellationRequest | None = None
    refund: Refund | None = None
    cancellation: Cancellation | None = None


@dataclass(frozen=True)
class LineState:
    line_id: int
    product_id: int | None
    title: str
    unit_price_minor: int
    quantity: int        # bought
    remaining: int       # not cancelled yet


def held_minor(order: Order) -> int:
    """Money of this order still in escrow (0 before payment): one aggregate query."""
    if order.status not in PAID and order.status != Status.PAYMENT_VERIFICATION:
        return 0
    # The order's escrow balance alone: one indexed SUM over (order_id, account), no join (ledger escrow
    # is credit-normal, so held = -balance). Plain SQL: compiling the ORM aggregate cost more than running it.
    from souk.ledger.models import JournalLine

    table = connection.ops.quote_name(JournalLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(amount_minor), 0) FROM {table} "
                       f"WHERE order_id = %s AND account_id = %s AND currency = %s",
                       [order.pk, Account.ESCROW.value, order.currency])
        return -int(cursor.fetchone()[0])


def lock_order_with_parties(*, order_id: int, with_held: bool = True, **filters: Any) -> tuple[Order, int | None]:
    """`orders.services.lock_order` (`SELECT ... FOR UPDATE` of the order row; NotFound when not
    visible with `filters`), with the store, its owner and the buyer (the people told) in the same
    statement (`lock_order(parties=True)`); then the money held
    (`held_minor`), read AFTER the lock so that it includes what the previous holder committed."""
    order = lock_order(order_id=order_id, parties=True, **filters)
    return order, (held_minor(order) if with_held else None)


def snapshot(order: Order, *, held: int | None = None, respond_by: datetime | None = None) -> OrderSnapshot:
    return OrderSnapshot(status=Status(order.status), total_minor=order.total_minor,
                         captured_minor=held_minor(order) if held is None else held, respond_by=respond_by)


def decide_or_refuse(order: Order, actor: Actor, now: datetime, *, held: int | None = None,
                     respond_by: datetime | None = None) -> Decision:
    decision = decide_cancellation(snapshot(order, held=held, respond_by=respond_by), actor, now)
    if not decision.allowed:
        raise CancellationRefused(decision)
    return decision


def line_states(order_id: int) -> list[LineState]:
    """The order's lines with what is left of each after earlier partial cancellations (one query)."""
    return _order_facts(order_id, currency=None).states


@dataclass(frozen=True)
class OrderFacts:
    states: list[LineState]
    held: int | None = None             # the escrow balance (credit-normal), when asked for
    payment_id: int | None = None      # the captured payment, if any
    payment_method: str | None = None


def _order_facts_sql(with_money: bool) -> str:
    from souk.ledger.models import JournalLine

    q = connection.ops.quote_name
    line_t, cancel_t, pay_t, journal_t = (q(m._meta.db_table) for m in (OrderLine, Cancellation, Payment,
                                                                          JournalLine))
    sql = (f"SELECT 0, id, product_id, title, unit_price_minor, quantity FROM {line_t} WHERE order_id = %s "
           f"UNION ALL SELECT 1, NULL, NULL, CAST(lines AS TEXT), NULL, NULL FROM {cancel_t} WHERE order_id = %s")
    if with_money:
        sql += (f" UNION ALL SELECT 2, id, NULL, method, NULL, NULL FROM (SELECT id, method FROM {pay_t} "
                f"WHERE order_id = %s AND status = %s ORDER BY id LIMIT 1) AS p "
                f"UNION ALL SELECT 3, NULL, NULL, NULL, CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT), NULL "
                f"FROM {journal_t} WHERE order_id = %s AND account_id = %s AND currency = %s")
    return sql + " ORDER BY 1, 2"


def _order_facts(order_id: int, *, currency: str | None) -> OrderFacts:
    """The lines with what is left of each, and (given the order's `currency`) the captured payment
    and the money held: ONE statement (UNION ALL), read under the caller's order lock."""
    import json

    params: list = [order_id, order_id]
    if currency is not None:
        params += [order_id, Payment.State.CAPTURED.value, order_id, Account.ESCROW.value, currency]
    with connection.cursor() as cursor:
        cursor.execute(_order_facts_sql(currency is not None), params)
        rows = cursor.fetchall()
    cancelled: dict[int, int] = {}
    lines, held, payment_id, method = [], None, None, None
    for tag, a, b, text, number, qty in rows:
        if tag == 0:
            lines.append((a, b, text, number, qty))
        elif tag == 1:
            for item in json.loads(text) or []:
                cancelled[item["line_id"]] = cancelled.get(item["line_id"], 0) + item["quantity"]
        elif tag == 2:
            payment_id, method = a, text
        else:
            held = -int(number)
    states = [LineState(pk, product_id, title, price, qty, qty - cancelled.get(pk, 0))
              for pk, product_id, title, price, qty in lines]
    return OrderFacts(states, held, payment_id, method)


def check_lines(requested: list[dict] | None, states: list[LineState]) -> list[dict]:
    """Validate [{line_id, quantity}] against what is left; [] when they cover everything left."""
    if not requested:
        return []
    by_id = {s.line_id: s for s in states}
    errors = ErrorCollector()
    wanted: dict[int, int] = {}
    for i, item in enumerate(requested):
        line_id, quantity = item.get("line_id"), item.get("quantity")
        state = by_id.get(line_id) if isinstance(line_id, int) else None
        if state is None or line_id in wanted:
            errors.add(f"lines[{i}].line_id", "line_not_found", "This line is not part of the order.")
            continue
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= state.remaining:
            errors.add(f"lines[{i}].quantity", "quantity_out_of_range",
                       f"Choose between 1 and {state.remaining}." if state.remaining
                       else "This line is already cancelled.")
            continue
        wanted[line_id] = quantity
    errors.raise_if_any()
    if all(wanted.get(s.line_id, 0) == s.remaining for s in states):
        return []
    return [{"line_id": lid, "quantity": q} for lid, q in wanted.items()]


def lines_refund_minor(order: Order, states: list[LineState], lines: list[dict]) -> int:
    """The refund for `lines`: their goods plus their share of shipping, given what was cancelled before."""
    from souk.cancellations.policy import prorate_refund

    price = {s.line_id: s.unit_price_minor for s in states}
    before = [(s.unit_price_minor, s.quantity - s.remaining) for s in states]
    after = before + [(price[i["line_id"]], i["quantity"]) for i in lines]
    kw = {"subtotal_minor": order.subtotal_minor, "shipping_minor": order.shipping_minor}
    return prorate_refund(line_amounts=after, **kw) - prorate_refund(line_amounts=before, **kw)


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
    """Cancel `lines` (or everything left) of the locked `order`. See the module docstring."""
    facts = None
    if states is None:  # the lines, the payment and the money held: one read
        facts = _order_facts(order.pk, currency=order.currency)
        states = facts.states
        held = facts.held if held is None else held
    lines = lines or []
    if lines:
        qty = {i["line_id"]: i["quantity"] for i in lines}
        cancelled = [(s, qty.get(s.line_id, 0)) for s in states]
    else:
        cancelled = [(s, s.remaining) for s in states]
    whole = all(n == s.remaining for s, n in cancelled)
    from_status = Status(order.status)
    paid = from_status in PAID or from_status == Status.PAYMENT_VERIFICATION
    held = (held_minor(order) if held is None else held) if paid else 0
    what = "Cancelled" if whole else "Some items cancelled"
    if request is not None:
        who = ("- the buyer's request was approved automatically (the seller did not answer in time)" if auto
               else "- the seller approved the buyer's request")
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
    if held > 0:
        key = f"cancel-request-{request.pk}" if request else f"cancel-order-{order.pk}"
        common = {"order_id": order.pk, "reason": reason.code[:64], "actor": actor, "actor_role": actor_role,
                  "idempotency_key": key, "now": now}
        if whole:
            # The order row is locked and its state checked here: payments' locked core promises the
            # refund (Refund row + ledger refund_start + timeline) without re-locking or re-reading.
            if facts is not None and facts.payment_id is not None:
                payment = Payment(pk=facts.payment_id, order_id=order.pk, method=facts.payment_method,
                                  status=Payment.State.CAPTURED)
            else:
                payment = (Payment.objects.filter(order_id=order.pk, status=Payment.State.CAPTURED)
                           .order_by("id").first())
            refund = refund_create_locked(order=order, payment=payment, amount_minor=held, lines=[],
                                          **{k: v for k, v in common.items() if k != "order_id"})
        else:
            refund = refund_create(lines=[RefundLine(i["line_id"], i["quantity"]) for i in lines], **common)
        if refund.state == Refund.State.PENDING:
            from souk.payments.tasks import process_refund

            tasks.append((process_refund, (refund.pk,)))
    if from_status in (Status.AWAITING_PAYMENT, Status.PAYMENT_VERIFICATION):
        void_authorisations([order.pk])
    cancellation = rows.insert(Cancellation(
        order=order, store_id=order.store_id, request=request, lines=lines, whole_order=whole,
        actor_role=actor_role, actor=actor, reason=reason.code, fault=reason.fault.value, note=note,
        refund=refund, refund_minor=refund.amount_minor if refund else 0, restocked=restocked, created_at=now,
        notified_at=now))
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
