"""Payment verification: an authorized payment held for risk review is captured or voided.

`order_pay` leaves a payment the processor flags for review (or above
`PAYMENT_REVIEW_OVER_MINOR`) authorized but not captured, with `review_by`
(`PAYMENT_REVIEW_HOURS`, 24 h), and the order in `payment_verification`.
`payment_verify(approve=True)` captures it (ledger capture) and moves the order
to `awaiting_shipment`; `approve=False` voids the authorization and cancels the
order (reason `risk`, stock back on sale). The worker's sweep decides the ones
nobody decided in time (`PAYMENT_REVIEW_EXPIRED_APPROVE`) and voids the
authorization of an order cancelled while it was in review.

Like every payment step: decide and record intent under the order lock, call the
gateway outside any transaction with a key stable across retries, record the
outcome under the lock again, re-checking the state. A crash in between leaves
the payment authorized and the sweep finishes it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from souk.catalog.stock import stock_release
from souk.core.errors import Conflict
from souk.core.money import minor_to_money
from souk.orders.models import Order
from souk.orders.selectors import product_quantities
from souk.orders.services import lock_order, transition
from souk.orders.status import Action, Status
from souk.payments.conf import setting
from souk.payments.gateways import GatewayError, get_gateway
from souk.payments.models import Payment
from souk.payments.services.paying import GatewayUnavailable, _finish

__all__ = ["payment_verify", "payments_review_due"]


def _authorized(order_id: int, **filters) -> tuple[Order, Payment | None]:
    with transaction.atomic():
        order = lock_order(order_id=order_id, **filters)
        payment = (Payment.objects.filter(order_id=order.pk, status=Payment.State.AUTHORIZED)
                   .order_by("-id").first())
    return order, payment


def _cancel_for_risk(order: Order, *, actor, actor_role: str, now: datetime, why: str) -> None:
    """Cancel an order held in verification (caller holds its lock): stock goes back on sale."""
    transition(order=order, action=Action.CANCEL, actor=actor, actor_role=actor_role, now=now,
               message=why, data={"reason": "risk", "fault": "platform"})
    stock_release(product_quantities([order.pk]))


def _void(payment: Payment, *, actor, actor_role: str, now: datetime, why: str) -> bool:
    """Void the authorization and cancel the order in review. False: the processor had captured it
    already (an earlier approval crashed before recording it), so the capture must be recorded."""
    try:
        get_gateway().void(payment_ref=payment.gateway_ref)
    except GatewayError as exc:
        if exc.retryable:
            raise GatewayUnavailable("The payment service did not answer; the sweep will retry.") from exc
        if exc.code == "payment_captured":
            return False
        # Any other final refusal (already voided or expired at the processor): the hold is gone.
    with transaction.atomic():
        order = lock_order(order_id=payment.order_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.status != Payment.State.AUTHORIZED:
            return True
        Payment.objects.filter(pk=payment.pk).update(status=Payment.State.VOIDED, review_by=None,
                                                     failure_message=why[:240], updated_at=now)
        if order.status == Status.PAYMENT_VERIFICATION:
            _cancel_for_risk(order, actor=actor, actor_role=actor_role, now=now, why=why)
    return True


def payment_verify(*, order_id: int, approve: bool, actor=None, actor_role: str = "staff",
                   now: datetime | None = None) -> Order:
    """Decide a payment held for risk review: capture it and release the order to the seller
    (`awaiting_shipment`), or void it and cancel the order. Idempotent: a decided order is
    returned as it is. An order cancelled during review has its authorization voided."""
    now = now or timezone.now()
    order, payment = _authorized(order_id)
    if payment is None:
        if order.status == Status.PAYMENT_VERIFICATION:
            raise Conflict("This order's payment is not waiting for verification.", code="payment_not_in_review")
        return order  # decided already
    if order.status != Status.PAYMENT_VERIFICATION:
        approve = False  # cancelled while in review: nothing to capture, let the hold go
    if not approve:
        why = ("The payment did not pass verification; the order was cancelled and nothing was charged."
               if order.status == Status.PAYMENT_VERIFICATION else "Payment authorization released.")
        if _void(payment, actor=actor, actor_role=actor_role, now=now, why=why):
            return Order.objects.get(pk=order_id)
        # Captured at the processor already: record it (an order cancelled meanwhile gets it refunded).
    amount = minor_to_money(payment.amount_minor, payment.currency)
    try:
        result = get_gateway().capture(payment_ref=payment.gateway_ref, amount=amount,
                                       idempotency_key=f"payment-{payment.pk}-capture")
    except GatewayError as exc:
        if exc.retryable:
            raise GatewayUnavailable("The payment service did not answer; the sweep will retry.") from exc
        _void(payment, actor=actor, actor_role=actor_role, now=now,
              why="The payment could not be collected after verification; the order was cancelled.")
        return Order.objects.get(pk=order_id)  # (a capture refused is never "already captured")
    _finish(payment=payment, buyer=actor, result=result, now=now, action=Action.VERIFY,
            expected=Status.PAYMENT_VERIFICATION, actor_role=actor_role)
    return Order.objects.get(pk=order_id)


def payments_review_due(*, limit: int = 20, now: datetime | None = None) -> int:
    """Sweep: reviews past `review_by` are decided (`PAYMENT_REVIEW_EXPIRED_APPROVE`); authorizations
    of orders cancelled during review are voided at once."""
    now = now or timezone.now()
    ids = list(Payment.objects.filter(status=Payment.State.AUTHORIZED)
               .filter(Q(review_by__lte=now) | Q(order__status=Status.CANCELLED))
               .order_by("review_by").values_list("order_id", flat=True)[:limit])
    approve = bool(setting("PAYMENT_REVIEW_EXPIRED_APPROVE"))
    done = 0
    for order_id in ids:
        try:
            payment_verify(order_id=order_id, approve=approve, actor=None, actor_role="system", now=now)
            done += 1
        except GatewayUnavailable:
            continue  # next round
    return done
