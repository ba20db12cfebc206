"""Paying an order: record the attempt, authorize + capture at the gateway, then PAY + ledger capture.

Three short transactions around two remote calls (docs/payments-gateways.md, Rules every
caller follows: record intent before an outside call). The gateway keys derive from the Payment row, and the
Payment row from the client's idempotency key, so a buyer retrying after a
timeout reaches the same charge instead of paying twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from souk.core.errors import Conflict, DomainError, ValidationFailed
from souk.core.money import minor_to_money
from souk.ledger.chart import Account
from souk.ledger.movements import post_capture
from souk.orders import events
from souk.orders.services import lock_order, transition
from souk.orders.status import Action, Status
from souk.payments.conf import setting
from souk.payments.error_codes import ErrorCode
from souk.payments.gateways import GatewayDeclined, GatewayError, PaymentMethod, get_gateway
from souk.payments.gateways.base import GatewayPayment, PaymentStatus
from souk.payments.models import Payment


class PaymentDeclined(DomainError):
    status = 402
    code = ErrorCode.PAYMENT_DECLINED


class GatewayUnavailable(DomainError):
    status = 503
    code = ErrorCode.GATEWAY_UNAVAILABLE


def funding_account(method: str) -> Account:
    return Account.BUYER_BALANCE if method == PaymentMethod.BALANCE else Account.GATEWAY_CLEARING


def _check_input(method: str, token: str, idempotency_key: str) -> None:
    if method not in PaymentMethod.__members__.values():
        raise ValidationFailed("Choose card, e-wallet or Souk balance.", code="invalid_method", field="method")
    if not token or len(token) > 64:
        raise ValidationFailed("Payment token is missing.", code="required", field="token")
    if not idempotency_key or len(idempotency_key) > 120:
        raise ValidationFailed("An idempotency key (1-120 characters) is required.", code="required",
                               field="idempotency_key")


def _start(*, buyer, order_id: int, method: str, idempotency_key: str, now: datetime) -> Payment:
    with transaction.atomic():
        order = lock_order(order_id=order_id, buyer=buyer)
        payment = Payment.objects.filter(order=order, idempotency_key=idempotency_key).first()
        if payment is not None:
            if payment.method != method:
                raise ValidationFailed("This idempotency key was used with another payment method.",
                                       code="idempotency_key_reused", field="idempotency_key")
            if payment.status in (Payment.State.CAPTURED, Payment.State.AUTHORIZED, Payment.State.FAILED,
                                  Payment.State.VOIDED):
                return payment  # the outcome is known (held for review included): answer it again
        if order.status != Status.AWAITING_PAYMENT:
            raise Conflict(f"This order is {order.status_label.lower()}; it cannot be paid.",
                           code="order_not_awaiting_payment")
        if order.pay_by and now > order.pay_by:
            raise Conflict("The time to pay this order has ended.", code="payment_window_closed")
        if payment is None:
            payment = Payment.objects.create(order=order, method=method, amount_minor=order.total_minor,
                                             currency=order.currency, idempotency_key=idempotency_key)
        Payment.objects.filter(pk=payment.pk).update(attempts=payment.attempts + 1)
        return payment


def _record_failure(payment: Payment, result: GatewayPayment | None, error: GatewayError | None,
                    buyer, now: datetime) -> None:
    with transaction.atomic():
        if result is not None:
            status, code, message = Payment.State.FAILED, result.decline_code, result.message
        elif isinstance(error, GatewayDeclined):
            status, code, message = Payment.State.FAILED, error.code, str(error)
        else:
            status, code, message = Payment.State.PENDING, "", str(error)
        Payment.objects.filter(pk=payment.pk).update(
            status=status, decline_code=code, failure_message=message[:240],
            gateway_ref=result.ref if result is not None else payment.gateway_ref, updated_at=now)
        if status == Payment.State.FAILED:
            events.record(order_id=payment.order_id, kind="payment_failed", actor_role="buyer", actor=buyer,
                          message=message, data={"payment_id": payment.pk, "decline_code": code}, now=now)


def _declined(payment: Payment) -> PaymentDeclined:
    return PaymentDeclined(payment.failure_message or "The payment was declined.", field="token",
                           code="payment_declined")


def _finish(*, payment: Payment, buyer, result: GatewayPayment, now: datetime, action: Action = Action.PAY,
            expected: Status = Status.AWAITING_PAYMENT, actor_role: str = "buyer") -> Payment:
    """Record a capture: payment captured + ledger capture + the order's move, in one transaction."""
    from souk.payments.services.refunds import (  # a captured payment the order can't take
        enqueue_processing,
        refund_create_locked,
    )

    with transaction.atomic():
        order = lock_order(order_id=payment.order_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.status == Payment.State.CAPTURED:  # the same attempt finished in a parallel request
            return current
        Payment.objects.filter(pk=payment.pk).update(status=Payment.State.CAPTURED, gateway_ref=result.ref,
                                                     decline_code="", failure_message="", review_by=None,
                                                     updated_at=now)
        payment.status, payment.gateway_ref, payment.review_by = Payment.State.CAPTURED, result.ref, None
        amount = minor_to_money(payment.amount_minor, payment.currency)
        post_capture(order_id=order.pk, store_id=order.store_id, amount=amount,
                     funding=funding_account(payment.method), memo=f"payment {payment.pk}")
        if order.status == expected:
            transition(order=order, action=action, actor=buyer, actor_role=actor_role, now=now,
                       data={"payment_id": payment.pk, "method": payment.method})
        else:
            # The order moved on (cancelled when the window closed, or paid by a parallel attempt
            # with another key) while the gateway answered: the money was taken, so it is
            # accounted for and goes straight back.
            enqueue_processing(refund_create_locked(
                order=order, payment=payment, amount_minor=payment.amount_minor, reason="payment_not_completed",
                actor=None, idempotency_key=f"late-{payment.pk}", now=now))
    return payment


def needs_review(result: GatewayPayment, amount_minor: int) -> bool:
    """Hold for risk review: the processor says so, or the amount is at least the review threshold."""
    threshold = int(setting("PAYMENT_REVIEW_OVER_MINOR"))
    return result.needs_review or (threshold > 0 and amount_minor >= threshold)


def _hold(*, payment: Payment, buyer, result: GatewayPayment, now: datetime) -> Payment:
    """Authorized, not captured: the order waits in payment verification (risk review, up to 24 h)."""
    with transaction.atomic():
        order = lock_order(order_id=payment.order_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.status in (Payment.State.AUTHORIZED, Payment.State.CAPTURED):
            return current
        review_by = now + timedelta(hours=float(setting("PAYMENT_REVIEW_HOURS")))
        Payment.objects.filter(pk=payment.pk).update(status=Payment.State.AUTHORIZED, gateway_ref=result.ref,
                                                     decline_code="", failure_message="", review_by=review_by,
                                                     updated_at=now)
        payment.status, payment.gateway_ref, payment.review_by = Payment.State.AUTHORIZED, result.ref, review_by
        if order.status == Status.AWAITING_PAYMENT:
            transition(order=order, action=Action.HOLD_FOR_VERIFICATION, actor=buyer, actor_role="buyer", now=now,
                       message="Payment received; it is being verified (this can take up to 24 hours).",
                       data={"payment_id": payment.pk, "method": payment.method, "review_by": review_by.isoformat()})
    # An order that moved on meanwhile is voided by the review sweep (`payments_review_due`).
    return payment


def order_pay(*, buyer, order_id: int, method: str, token: str, idempotency_key: str,
              now: datetime | None = None) -> Payment:
    """Pay an order awaiting payment. A payment the processor flags for risk review (or at least
    `PAYMENT_REVIEW_OVER_MINOR`) is only authorized and the order waits in payment verification
    (`payment_verify` decides). Declines are recorded (reason on the payment and the timeline)
    and raised as PaymentDeclined (402); timeouts leave the payment pending and raise
    GatewayUnavailable (503): retrying with the same idempotency key is safe."""
    _check_input(method, token, idempotency_key)
    now = now or timezone.now()
    payment = _start(buyer=buyer, order_id=order_id, method=method, idempotency_key=idempotency_key, now=now)
    if payment.status in (Payment.State.CAPTURED, Payment.State.AUTHORIZED):
        return payment
    if payment.status in (Payment.State.FAILED, Payment.State.VOIDED):
        raise _declined(payment)
    gateway = get_gateway()
    amount = minor_to_money(payment.amount_minor, payment.currency)
    try:
        result = gateway.authorize(amount=amount, method=method, token=token,
                                   idempotency_key=f"payment-{payment.pk}-authorize")
        if result.status == PaymentStatus.FAILED:
            _record_failure(payment, result, None, buyer, now)
            payment.refresh_from_db()
            raise _declined(payment)
        if result.status == PaymentStatus.AUTHORIZED and needs_review(result, payment.amount_minor):
            return _hold(payment=payment, buyer=buyer, result=result, now=now)
        if result.status != PaymentStatus.CAPTURED:
            result = gateway.capture(payment_ref=result.ref, amount=amount,
                                     idempotency_key=f"payment-{payment.pk}-capture")
    except GatewayError as exc:
        _record_failure(payment, None, exc, buyer, now)
        payment.refresh_from_db()
        if exc.retryable:
            raise GatewayUnavailable("The payment service did not answer. Try again: you will not be "
                                     "charged twice.") from exc
        raise _declined(payment) from exc
    return _finish(payment=payment, buyer=buyer, result=result, now=now)
