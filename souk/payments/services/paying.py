"""Paying an order: record the attempt, authorize + capture at the gateway, then PAY + ledger capture.

Three short transactions around two remote calls (GUIDE.md §6: record intent
before an outside call). The gateway keys derive from the Payment row, and the
Payment row from the client's idempotency key, so a buyer retrying after a
timeout reaches the same charge instead of paying twice.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from souk.core.errors import Conflict, DomainError, ValidationFailed
from souk.core.money import minor_to_money
from souk.ledger.chart import Account
from souk.ledger.movements import post_capture
from souk.orders import events
from souk.orders.services import lock_order, transition
from souk.orders.status import Action, Status
from souk.payments.gateways import GatewayDeclined, GatewayError, PaymentMethod, get_gateway
from souk.payments.gateways.base import GatewayPayment, PaymentStatus
from souk.payments.models import Payment


class PaymentDeclined(DomainError):
    status = 402
    code = "payment_declined"


class GatewayUnavailable(DomainError):
    status = 503
    code = "gateway_unavailable"


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
            if payment.status in (Payment.State.CAPTURED, Payment.State.FAILED, Payment.State.VOIDED):
                return payment  # the outcome is known: answer it again
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


def _finish(*, payment: Payment, buyer, result: GatewayPayment, now: datetime) -> Payment:
    from souk.payments.services.refunds import refund_create_locked  # a captured payment the order can't take

    with transaction.atomic():
        order = lock_order(order_id=payment.order_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.status == Payment.State.CAPTURED:  # the same attempt finished in a parallel request
            return current
        Payment.objects.filter(pk=payment.pk).update(status=Payment.State.CAPTURED, gateway_ref=result.ref,
                                                     decline_code="", failure_message="", updated_at=now)
        payment.status, payment.gateway_ref = Payment.State.CAPTURED, result.ref
        amount = minor_to_money(payment.amount_minor, payment.currency)
        post_capture(order_id=order.pk, store_id=order.store_id, amount=amount,
                     funding=funding_account(payment.method), memo=f"payment {payment.pk}")
        if order.status == Status.AWAITING_PAYMENT:
            transition(order=order, action=Action.PAY, actor=buyer, actor_role="buyer", now=now,
                       data={"payment_id": payment.pk, "method": payment.method})
        else:
            # The order moved on (cancelled when the window closed, or paid by a parallel attempt
            # with another key) while the gateway answered: the money was taken, so it is
            # accounted for and goes straight back.
            refund_create_locked(order=order, payment=payment, amount_minor=payment.amount_minor,
                                 reason="payment_not_completed", actor=None, idempotency_key=f"late-{payment.pk}",
                                 now=now)
    return payment


def order_pay(*, buyer, order_id: int, method: str, token: str, idempotency_key: str,
              now: datetime | None = None) -> Payment:
    """Pay an order awaiting payment. Declines are recorded (reason on the payment and the timeline)
    and raised as PaymentDeclined (402); timeouts leave the payment pending and raise
    GatewayUnavailable (503): retrying with the same idempotency key is safe."""
    _check_input(method, token, idempotency_key)
    now = now or timezone.now()
    payment = _start(buyer=buyer, order_id=order_id, method=method, idempotency_key=idempotency_key, now=now)
    if payment.status == Payment.State.CAPTURED:
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
