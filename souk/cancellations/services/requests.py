"""The buyer cancels (at once, or by a request the seller answers) and the seller answers.

Each function is one transaction: input checked first (nothing written on bad
input), the order row locked, the policy re-decided under the lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from souk.cancellations import notify
from souk.cancellations.conf import setting
from souk.cancellations.models import CancellationRequest
from souk.cancellations.policy import NOTE_MAX_LENGTH, Outcome, check_reason
from souk.cancellations.reasons import REJECT_BY_CODE, REJECT_REASONS, Actor, get_reason
from souk.cancellations.services.core import (
    CancelResult,
    cancel_locked,
    check_lines,
    decide_or_refuse,
    line_states,
    lock_order_with_parties,
    pause_ship_by,
)
from souk.core.errors import Conflict, ErrorCollector, ValidationFailed
from souk.orders.models import Order
from souk.orders.services import lock_order, order_ship_locked, transition
from souk.orders.status import Action, Status
from souk.orders.tracking import clean_tracking


def _lines_input(lines) -> list[dict] | None:
    if lines is None:
        return None
    out = []
    for item in lines:
        if isinstance(item, dict):
            out.append({"line_id": item.get("line_id"), "quantity": item.get("quantity")})
        else:  # a RefundLine-like object or a schema
            out.append({"line_id": getattr(item, "line_id", None), "quantity": getattr(item, "quantity", None)})
    return out


def order_cancel_by_buyer(*, buyer, order_id: int, reason: str, note: str = "", lines=None,
                          now: datetime | None = None) -> CancelResult:
    """The buyer's Cancel Order: closes an unpaid order at once, asks the seller for a paid one,
    refuses a shipped one (CancellationRefused, 409, with `why_not` and `next_step`)."""
    note = (note or "").strip()
    chosen = check_reason(Actor.BUYER, reason, note)
    wanted = _lines_input(lines)
    now = now or timezone.now()
    with transaction.atomic():
        order, held = lock_order_with_parties(order_id=order_id, buyer=buyer)
        respond_by = None
        if order.status == Status.AWAITING_CANCELLATION:
            respond_by = (CancellationRequest.objects.filter(order=order, state=CancellationRequest.State.PENDING)
                          .values_list("respond_by", flat=True).first())
        decision = decide_or_refuse(order, Actor.BUYER, now, held=held, respond_by=respond_by)
        states = line_states(order.pk) if wanted else None  # a whole-order request needs no line reads
        request_lines = check_lines(wanted, states) if wanted else []
        if decision.outcome is Outcome.CANCEL_NOW:
            if request_lines:
                raise ValidationFailed("An unpaid order is cancelled as a whole.", code="lines_not_allowed",
                                       field="lines")
            cancellation, refund = cancel_locked(order=order, actor=buyer, actor_role="buyer", reason=chosen,
                                                 note=note, states=states, now=now, held=held)
            return CancelResult(Outcome.CANCEL_NOW, order, refund=refund, cancellation=cancellation)
        if request_lines:  # the policy prices the requested lines (the one proration rule)
            decision = decide_or_refuse(order, Actor.BUYER, now, held=held, respond_by=respond_by, states=states,
                                        lines=request_lines)
        request = CancellationRequest.objects.create(
            order=order, requested_by=buyer, reason=chosen.code, note=note, lines=request_lines,
            refund_minor=decision.refund_minor, created_at=now,
            respond_by=now + timedelta(hours=setting("CANCELLATION_RESPOND_HOURS")))
        transition(order=order, action=Action.REQUEST_CANCELLATION, actor=buyer, actor_role="buyer", now=now,
                   message=f"The buyer asked to cancel{' some items' if request_lines else ''}: {chosen.label}.",
                   data={"reason": chosen.code, "fault": chosen.fault.value, "note": note, "lines": request_lines,
                         "request_id": request.pk, "respond_by": request.respond_by.isoformat()})
        from souk.cancellations.tasks import auto_approve_request
        from souk.core.tasks import enqueue_together

        tasks: list = [(auto_approve_request.using(run_after=request.respond_by), (request.pk,))]
        notify.tell(kind="cancellation_requested", recipients=[order.store.owner], order=order, actor=buyer,
                    tasks=tasks,
                    title=f"Cancellation requested for order {order.number}",
                    body=f"The buyer asked to cancel {'some items of ' if request_lines else ''}order "
                         f"{order.number}: {chosen.label}. Answer by {request.respond_by:%d %b %Y, %H:%M} UTC, "
                         f"or it is approved automatically.",
                    data={"request_id": request.pk, "reason": chosen.code,
                          "respond_by": request.respond_by.isoformat()})
        enqueue_together(tasks)  # the auto-approval timer and the delivery: one INSERT, committed with the request
        return CancelResult(Outcome.REQUEST_SELLER, order, request=request)


def _pending_request(order: Order) -> CancellationRequest:
    request = (CancellationRequest.objects.select_for_update()
               .filter(order=order, state=CancellationRequest.State.PENDING).first())
    if request is None or order.status != Status.AWAITING_CANCELLATION:
        raise Conflict("This order has no open cancellation request.", code="no_pending_cancellation_request")
    request.order = order
    return request


def _take_pending_request(order: Order, state: str, *, by, now: datetime) -> CancellationRequest:
    """The pending request of the locked `order`, locked and answered with `state`, or Conflict."""
    request = _pending_request(order)
    _close(request, state, by=by, now=now)
    return request


def _close(request: CancellationRequest, state: str, *, by, now: datetime, **cols) -> None:
    CancellationRequest.objects.filter(pk=request.pk).update(state=state, answered_by=by, answered_at=now, **cols)
    request.state, request.answered_by, request.answered_at = state, by, now
    for name, value in cols.items():
        setattr(request, name, value)


def cancellation_request_withdraw(*, buyer, order_id: int, now: datetime | None = None) -> CancellationRequest:
    """The buyer changed their mind while the request is pending: the order goes on to shipment."""
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_id=order_id, buyer=buyer)
        request = _pending_request(order)
        _close(request, CancellationRequest.State.WITHDRAWN, by=buyer, now=now)
        transition(order=order, action=Action.RESUME, actor=buyer, actor_role="buyer", now=now,
                   message="The buyer withdrew the cancellation request.",
                   data={"request_id": request.pk, "reason": request.reason, "withdrawn": True},
                   changes=pause_ship_by(order, request, now))
        notify.tell(kind="cancellation_withdrawn", recipients=[order.store.owner], order=order, actor=buyer,
                    title=f"Cancellation request withdrawn for order {order.number}",
                    body=f"The buyer withdrew the cancellation request for order {order.number}. "
                         f"Please ship it by {order.ship_by:%d %b %Y}." if order.ship_by else
                         f"The buyer withdrew the cancellation request for order {order.number}.",
                    data={"request_id": request.pk})
        return request


def approve_locked(*, order: Order, request: CancellationRequest, actor, actor_role: str, now: datetime,
                   auto: bool = False, held: int | None = None, closed: bool = False) -> CancelResult:
    reason = get_reason(request.reason)
    if not closed:
        state = CancellationRequest.State.AUTO_APPROVED if auto else CancellationRequest.State.APPROVED
        _close(request, state, by=actor, now=now)
    cancellation, refund = cancel_locked(order=order, actor=actor, actor_role=actor_role, reason=reason,
                                         note=request.note, lines=request.lines, request=request, auto=auto,
                                         now=now, held=held)
    return CancelResult(Outcome.CANCEL_NOW, order, request=request, refund=refund, cancellation=cancellation)


def cancellation_request_approve(*, seller, order_id: int, now: datetime | None = None) -> CancelResult:
    """The seller agrees: the order (or the requested lines) is cancelled, stock restored, refund started."""
    now = now or timezone.now()
    with transaction.atomic():
        # The money held is read with the lines and the payment, once the request is taken (cancel_locked).
        order, _ = lock_order_with_parties(order_id=order_id, with_held=False, store__owner=seller)
        request = _take_pending_request(order, CancellationRequest.State.APPROVED, by=seller, now=now)
        return approve_locked(order=order, request=request, actor=seller, actor_role="seller", now=now,
                              closed=True)


def _check_reject(reason: str, note: str, carrier: str | None, tracking_number: str | None):
    errors = ErrorCollector()
    chosen = REJECT_BY_CODE.get(reason or "")
    if not reason:
        errors.add("reason", "required", "Say why you reject the request.")
    elif chosen is None:
        errors.add("reason", "unknown_reason", "Choose one of: " + ", ".join(r.code for r in REJECT_REASONS) + ".")
    if len(note) > NOTE_MAX_LENGTH:
        errors.add("note", "note_too_long", f"The note is too long: at most {NOTE_MAX_LENGTH} characters.")
    elif chosen is not None and chosen.note_required and not note:
        errors.add("note", "note_required", "Please tell the buyer why in the note.")
    if chosen is not None and chosen.needs_tracking:
        carrier, tracking_number = clean_tracking(errors, carrier, tracking_number)
    else:
        carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    errors.raise_if_any()
    return chosen, carrier, tracking_number


def cancellation_request_reject(*, seller, order_id: int, reason: str, note: str = "", carrier: str | None = None,
                                tracking_number: str | None = None, now: datetime | None = None
                                ) -> CancellationRequest:
    """The seller says no, with a reason; 'already_shipped' needs carrier + tracking and ships the order."""
    note = (note or "").strip()
    chosen, carrier, tracking_number = _check_reject(reason, note, carrier, tracking_number)
    now = now or timezone.now()
    with transaction.atomic():
        order = lock_order(order_id=order_id, store__owner=seller)
        request = _pending_request(order)
        _close(request, CancellationRequest.State.REJECTED, by=seller, now=now, reject_reason=chosen.code,
               reject_note=note)
        data = {"request_id": request.pk, "reason": request.reason, "reject_reason": chosen.code, "note": note}
        message = f"The seller rejected the cancellation request: {chosen.label}."
        if chosen.needs_tracking:
            order_ship_locked(order=order, carrier=carrier, tracking_number=tracking_number, actor=seller,
                              now=now, message=message, data=data)
            extra = f" It shipped with {carrier}, tracking number {tracking_number}."
        else:
            transition(order=order, action=Action.RESUME, actor=seller, actor_role="seller", now=now,
                       message=message, data=data, changes=pause_ship_by(order, request, now))
            extra = " The order will ship as planned."
        items = [dict(kind="cancellation_rejected", recipients=[order.buyer], order=order, actor=seller,
                      title=f"Cancellation request rejected for order {order.number}",
                      body=f"The seller rejected your request to cancel order {order.number}: {chosen.label}."
                           f"{' ' + note if note else ''}{extra}",
                      data={**data, "carrier": carrier, "tracking_number": tracking_number})]
        if chosen.needs_tracking:  # shipped: the buyer's order_shipped news too (the message above has the tracking)
            from souk.notifications.shipping import shipped_notice  # lazily, like souk.cancellations.notify

            items.append(dict(shipped_notice(order), recipients=[order.buyer], order=order, actor=seller,
                              message=False))
        notify.tell_many(items)
        return request

