"""Paying an order: an attempt committed with its gateway key, then authorize + capture at the
gateway, then PAY + ledger capture (docs/money.md, "Paying: the attempt is an intent").

Short transactions around the remote calls; before any call the intent is committed with the
idempotency key the call will carry (docs/architecture.md, "the database row is the truth"):

1. `_start` (order locked): the order's open attempt is found, or a new one is created with its
   gateway key (`Payment.gateway_key`) and a reconciliation deadline; committed.
2. `authorize` (then `capture`) at the gateway, outside any transaction, with the attempt's key.
3. `_finish` / `_hold` / `_record_failure` (order locked): the outcome, re-checking the state.

A process that dies anywhere in between leaves the attempt `pending`. A retry with ANY client
key (the same or a new one) and the same card reuses that attempt and its gateway key, so the
gateway answers the charge it already made instead of making a second. Nobody retrying, the
reconciliation sweep (`souk/payments/services/reconciling.py`) asks the gateway what happened
and finishes the attempt the same way (`advance`).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
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


class PaymentInProgress(Conflict):
    code = ErrorCode.PAYMENT_IN_PROGRESS


CHECKING = ("We are still checking your previous payment with the payment processor. Pay again with the same "
            "card (you will not be charged twice), or wait a minute and try another one.")


def funding_account(method: str) -> Account:
    return Account.BUYER_BALANCE if method == PaymentMethod.BALANCE else Account.GATEWAY_CLEARING


def token_digest(method: str, token: str) -> str:
    """The instrument of an attempt: a retry reuses the open attempt only with the same one."""
    return hashlib.sha256(f"{method}\0{token}".encode()).hexdigest()


def reconcile_deadline(now: datetime) -> datetime:
    """When an attempt that is still pending gets checked with the gateway."""
    return now + timedelta(seconds=float(setting("PAYMENT_RECONCILE_GRACE_SECONDS")))


def capture_key(payment: Payment) -> str:
    return f"payment-{payment.pk}-capture"


def _check_input(method: str, token: str, idempotency_key: str) -> None:
    if method not in PaymentMethod.__members__.values():
        raise ValidationFailed("Choose card, e-wallet or Souk balance.", code="invalid_method", field="method")
    if not token or len(token) > 64:
        raise ValidationFailed("Payment token is missing.", code="required", field="token")
    if not idempotency_key or len(idempotency_key) > 120:
        raise ValidationFailed("An idempotency key (1-120 characters) is required.", code="required",
                               field="idempotency_key")


# What `_start` tells `order_pay` to do with the attempt it returns.
KNOWN = "known"  # the client key's attempt has an outcome: answer it again
CALL = "call"    # call the gateway with the attempt's key (a new attempt, or the open one reused)
CHECK = "check"  # the open attempt used another card and its grace is over: reconcile it first


def _start(*, buyer, order_id: int, method: str, token: str, idempotency_key: str,
           now: datetime) -> tuple[Payment, str]:
    """The attempt this request works on, committed before any gateway call (order locked)."""
    digest = token_digest(method, token)
    with transaction.atomic():
        order = lock_order(order_id=order_id, buyer=buyer)
        mine = Payment.objects.filter(order=order, idempotency_key=idempotency_key).first()
        if mine is not None:
            if mine.method != method:
                raise ValidationFailed("This idempotency key was used with another payment method.",
                                       code="idempotency_key_reused", field="idempotency_key")
            if mine.status != Payment.State.PENDING:
                return mine, KNOWN  # the outcome is known (held for review included): answer it again
        if order.status != Status.AWAITING_PAYMENT:
            raise Conflict(f"This order is {order.status_label.lower()}; it cannot be paid.",
                           code="order_not_awaiting_payment")
        if order.pay_by and now > order.pay_by:
            raise Conflict("The time to pay this order has ended.", code="payment_window_closed")
        current = mine or Payment.objects.filter(order=order, status=Payment.State.PENDING).first()
        if current is None:
            payment = Payment.objects.create(
                order=order, method=method, amount_minor=order.total_minor, currency=order.currency,
                idempotency_key=idempotency_key, token_digest=digest,
                attempts=1, reconcile_after=reconcile_deadline(now))
            return payment, CALL
        if current.token_digest != digest:
            if current.reconcile_after is not None and now < current.reconcile_after:
                raise PaymentInProgress(CHECKING)
            return current, CHECK
        # The open attempt, same card: its gateway key again (the gateway answers what it already did).
        deadline = reconcile_deadline(now)
        Payment.objects.filter(pk=current.pk).update(attempts=F("attempts") + 1, reconcile_after=deadline,
                                                     updated_at=now)
        current.attempts, current.reconcile_after = current.attempts + 1, deadline
        return current, CALL


def close_attempt(payment: Payment, *, status: str, message: str, actor, actor_role: str, now: datetime,
                  decline_code: str = "", gateway_ref: str = "", if_attempts: int | None = None) -> bool:
    """An open attempt ends failed or voided (order locked; nothing happens when it is no longer
    pending, or with `if_attempts`, when a request took it over meanwhile). True when it closed."""
    with transaction.atomic():
        lock_order(order_id=payment.order_id)
        rows = Payment.objects.filter(pk=payment.pk, status=Payment.State.PENDING)
        if if_attempts is not None:
            rows = rows.filter(attempts=if_attempts)
        closed = rows.update(status=status, decline_code=decline_code, failure_message=message[:240],
                             gateway_ref=gateway_ref or payment.gateway_ref, reconcile_after=None, updated_at=now)
        if closed:
            events.record(order_id=payment.order_id, kind="payment_failed", actor_role=actor_role, actor=actor,
                          message=message, data={"payment_id": payment.pk, "decline_code": decline_code},
                          now=now)
    payment.refresh_from_db()
    return bool(closed)


def _record_failure(payment: Payment, result: GatewayPayment | None, error: GatewayError | None,
                    actor, actor_role: str, now: datetime) -> None:
    if result is not None:
        close_attempt(payment, status=Payment.State.FAILED, message=result.message, decline_code=result.decline_code,
                      gateway_ref=result.ref, actor=actor, actor_role=actor_role, now=now)
    elif isinstance(error, GatewayDeclined):
        close_attempt(payment, status=Payment.State.FAILED, message=str(error), decline_code=error.code,
                      actor=actor, actor_role=actor_role, now=now)
    else:  # no answer: still pending, the outcome unknown ("checking your payment")
        Payment.objects.filter(pk=payment.pk, status=Payment.State.PENDING).update(
            failure_message=str(error)[:240], updated_at=now)
        payment.refresh_from_db()


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
        # Pending (the usual case) or authorized in review; or an attempt closed meanwhile whose
        # late answer says the processor did capture: the money was taken, so it is recorded.
        Payment.objects.filter(pk=payment.pk).update(status=Payment.State.CAPTURED, gateway_ref=result.ref,
                                                     decline_code="", failure_message="", review_by=None,
                                                     reconcile_after=None, updated_at=now)
        payment.status, payment.gateway_ref, payment.review_by = Payment.State.CAPTURED, result.ref, None
        payment.reconcile_after = None
        amount = minor_to_money(payment.amount_minor, payment.currency)
        post_capture(order_id=order.pk, store_id=order.store_id, amount=amount,
                     funding=funding_account(payment.method), memo=f"payment {payment.pk}")
        if order.status == expected:
            transition(order=order, action=action, actor=buyer, actor_role=actor_role, now=now,
                       data={"payment_id": payment.pk, "method": payment.method})
        else:
            # The order moved on (cancelled when the window closed, or paid by another attempt) while
            # the gateway answered: the money was taken, so it is accounted for and goes straight back.
            enqueue_processing(refund_create_locked(
                order=order, payment=payment, amount_minor=payment.amount_minor, reason="payment_not_completed",
                actor=None, idempotency_key=f"late-{payment.pk}", now=now))
    return payment


def needs_review(result: GatewayPayment, amount_minor: int) -> bool:
    """Hold for risk review: the processor says so, or the amount is at least the review threshold."""
    threshold = int(setting("PAYMENT_REVIEW_OVER_MINOR"))
    return result.needs_review or (threshold > 0 and amount_minor >= threshold)


def release_authorization(ref: str) -> None:
    """Void an authorization nothing will capture (a late answer for an attempt closed meanwhile)."""
    # Refused or unanswered: captured (recorded by whoever captured it) or gone; `souk audit` reports the rest.
    with contextlib.suppress(GatewayError):
        get_gateway().void(payment_ref=ref)


def _hold(*, payment: Payment, buyer, result: GatewayPayment, now: datetime, actor_role: str = "buyer") -> Payment:
    """Authorized, not captured: the order waits in payment verification (risk review, up to 24 h)."""
    with transaction.atomic():
        order = lock_order(order_id=payment.order_id)
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.status in (Payment.State.AUTHORIZED, Payment.State.CAPTURED):
            return current
        if current.status == Payment.State.PENDING:
            review_by = now + timedelta(hours=float(setting("PAYMENT_REVIEW_HOURS")))
            Payment.objects.filter(pk=payment.pk).update(
                status=Payment.State.AUTHORIZED, gateway_ref=result.ref, decline_code="", failure_message="",
                review_by=review_by, reconcile_after=None, updated_at=now)
            payment.status, payment.gateway_ref, payment.review_by = (Payment.State.AUTHORIZED, result.ref,
                                                                      review_by)
            payment.reconcile_after = None
            if order.status == Status.AWAITING_PAYMENT:
                transition(order=order, action=Action.HOLD_FOR_VERIFICATION, actor=buyer, actor_role=actor_role,
                           now=now, message="Payment received; it is being verified (this can take up to 24 hours).",
                           data={"payment_id": payment.pk, "method": payment.method,
                                 "review_by": review_by.isoformat()})
            # An order that moved on meanwhile is voided by the review sweep (`payments_review_due`).
            return payment
    # Closed meanwhile (the sweep found nothing at the gateway, then this late authorization came):
    # nothing will capture it, so the hold on the buyer's card is released.
    release_authorization(result.ref)
    return current


def advance(payment: Payment, result: GatewayPayment, *, actor, actor_role: str, now: datetime) -> Payment:
    """Take an attempt from the gateway's answer about it to its end: failed, voided, held for
    review, or captured (capturing an authorization with the key `payment-<id>-capture`). Shared by
    `order_pay` and the reconciliation sweep; a capture that fails raises GatewayError."""
    if result.status == PaymentStatus.FAILED:
        _record_failure(payment, result, None, actor, actor_role, now)
        return payment
    if result.status == PaymentStatus.VOIDED:
        close_attempt(payment, status=Payment.State.VOIDED, gateway_ref=result.ref, actor=actor,
                      actor_role=actor_role, now=now,
                      message="The payment was cancelled at the processor; nothing was charged.")
        return payment
    if result.status == PaymentStatus.AUTHORIZED and needs_review(result, payment.amount_minor):
        return _hold(payment=payment, buyer=actor, result=result, now=now, actor_role=actor_role)
    if result.status != PaymentStatus.CAPTURED:
        result = get_gateway().capture(payment_ref=result.ref, idempotency_key=capture_key(payment),
                                       amount=minor_to_money(payment.amount_minor, payment.currency))
    return _finish(payment=payment, buyer=actor, result=result, now=now, actor_role=actor_role)


def _stall_for_tests() -> None:
    """Crash drills only (tests/payments/test_pay_crash.py): off unless the setting is set."""
    seconds = float(setting("TEST_PAY_STALL_AFTER_COMMIT_SECONDS"))
    if seconds > 0:
        time.sleep(seconds)


def order_pay(*, buyer, order_id: int, method: str, token: str, idempotency_key: str,
              now: datetime | None = None) -> Payment:
    """Pay an order awaiting payment. A payment the processor flags for risk review (or at least
    `PAYMENT_REVIEW_OVER_MINOR`) is only authorized and the order waits in payment verification
    (`payment_verify` decides). Declines are recorded (reason on the payment and the timeline)
    and raised as PaymentDeclined (402); timeouts leave the payment pending ("checking") and raise
    GatewayUnavailable (503). Retrying with any idempotency key and the same card is safe: it
    reuses the order's open attempt and its gateway key. Another card while an attempt is open
    is refused (409 `payment_in_progress`) until that attempt's grace is over; then the attempt
    is checked with the gateway first."""
    from souk.payments.services.reconciling import payment_reconcile

    _check_input(method, token, idempotency_key)
    now = now or timezone.now()
    for _ in range(3):
        payment, what = _start(buyer=buyer, order_id=order_id, method=method, token=token,
                               idempotency_key=idempotency_key, now=now)
        if what != CHECK:
            break
        if payment_reconcile(payment_id=payment.pk, now=now).status == Payment.State.PENDING:
            raise PaymentInProgress(CHECKING)  # the gateway did not answer, or the sweep has it right now
    else:
        raise PaymentInProgress(CHECKING)
    if what == KNOWN:
        if payment.status in (Payment.State.CAPTURED, Payment.State.AUTHORIZED):
            return payment
        raise _declined(payment)
    amount = minor_to_money(payment.amount_minor, payment.currency)
    try:
        result = get_gateway().authorize(amount=amount, method=method, token=token,
                                         idempotency_key=payment.gateway_key)
        payment = advance(payment, result, actor=buyer, actor_role="buyer", now=now)
    except GatewayError as exc:
        _record_failure(payment, None, exc, buyer, "buyer", now)
        if exc.retryable:
            raise GatewayUnavailable("The payment service did not answer. We are checking your payment; pay "
                                     "again with the same card: you will not be charged twice.") from exc
        raise _declined(payment) from exc
    if payment.status in (Payment.State.FAILED, Payment.State.VOIDED):
        raise _declined(payment)
    _stall_for_tests()
    return payment
