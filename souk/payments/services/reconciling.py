"""Reconciliation: payment attempts whose outcome Souk never heard are checked with the gateway.

An attempt stays `pending` when the process paying it died, or the gateway did not answer, between
committing the attempt and recording the outcome. Once its `reconcile_after` has passed (the
grace, `PAYMENT_RECONCILE_GRACE_SECONDS`, counted from its last gateway call), the sweep
`payments_reconcile_due` asks the gateway what the attempt's key made (`find_payment`) and
finishes it as `order_pay` would have (docs/money.md, "Reconciliation"):

| the gateway says | the attempt becomes |
| --- | --- |
| nothing under that key | `failed`: nothing was charged (the buyer may pay again) |
| failed (declined) | `failed`, with the decline code |
| voided | `voided` |
| captured | `captured`: ledger capture + order PAY under the order lock, as `_finish` always does (an order that moved on gets the money refunded) |
| authorized, order still awaiting payment | continued: held for verification when the verdict or the amount says review, else captured, exactly as `order_pay` would have |
| authorized, order moved on (cancelled) | voided at the gateway, then `voided` |

Like every payment step: claim under a lock (the deadline pushed out as a lease), call the
gateway outside any transaction, record under the order lock, re-checking the state. "Nothing"
and "void" are only recorded when no request took the attempt over meanwhile (`attempts`
unchanged); a late answer for an attempt closed anyway is still recorded (`_finish`) or its
authorization released (`_hold`), so no money is ever lost from sight.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from souk.orders.models import Order
from souk.orders.status import Status
from souk.payments.gateways import GatewayDeclined, GatewayError, get_gateway
from souk.payments.gateways.base import PaymentStatus
from souk.payments.models import Payment
from souk.payments.services.paying import advance, close_attempt, reconcile_deadline

__all__ = ["payment_reconcile", "payments_reconcile_due"]

NOT_RECEIVED = "The payment did not reach the payment processor; nothing was charged. You can pay again."
RELEASED = "The order could no longer take this payment; the authorization was released and nothing was charged."


def _claim(payment_id: int, now: datetime) -> Payment | None:
    """The attempt, if still pending and due: its deadline pushed out (a lease: no other sweeper
    or checking request takes it until then). None: finished, not due, or claimed by another."""
    with transaction.atomic():
        payment = (Payment.objects.select_for_update(skip_locked=True)
                   .filter(pk=payment_id, status=Payment.State.PENDING, reconcile_after__lte=now).first())
        if payment is None:
            return None
        payment.reconcile_after = reconcile_deadline(now)
        Payment.objects.filter(pk=payment.pk).update(reconcile_after=payment.reconcile_after)
    return payment


def payment_reconcile(*, payment_id: int, now: datetime | None = None) -> Payment:
    """Check one pending attempt with the gateway and finish it. Idempotent; returns the attempt as
    it is now (still pending when the gateway did not answer: due again when the lease ends)."""
    now = now or timezone.now()
    payment = _claim(payment_id, now)
    if payment is None:
        return Payment.objects.get(pk=payment_id)
    gateway = get_gateway()
    try:
        result = gateway.find_payment(idempotency_key=payment.gateway_key)
        if result is None:
            close_attempt(payment, status=Payment.State.FAILED, message=NOT_RECEIVED, actor=None,
                          actor_role="system", now=now, if_attempts=payment.attempts)
            return payment
        if result.status == PaymentStatus.AUTHORIZED:
            order_status = Order.objects.filter(pk=payment.order_id).values_list("status", flat=True).get()
            if order_status != Status.AWAITING_PAYMENT:
                return _void(payment, result.ref, now)
        return advance(payment, result, actor=None, actor_role="system", now=now)
    except GatewayError as exc:
        if not exc.retryable:  # the gateway refused to capture what it authorized: the attempt is over
            close_attempt(payment, status=Payment.State.FAILED, message=str(exc), decline_code=exc.code,
                          actor=None, actor_role="system", now=now)
            return payment
        Payment.objects.filter(pk=payment.pk, status=Payment.State.PENDING).update(
            failure_message=f"reconciliation: {exc.code}: {exc}"[:240], updated_at=now)
        payment.refresh_from_db()
        return payment  # unanswered: due again when the lease ends


def _void(payment: Payment, ref: str, now: datetime) -> Payment:
    """An authorization the order can no longer take (it was cancelled meanwhile): let it go."""
    try:
        get_gateway().void(payment_ref=ref)
    except GatewayDeclined as exc:
        if exc.code == "payment_captured":  # captured after all (a request took it over): record it
            return advance(payment, get_gateway().find_payment(idempotency_key=payment.gateway_key),
                           actor=None, actor_role="system", now=now)
        raise
    close_attempt(payment, status=Payment.State.VOIDED, message=RELEASED, gateway_ref=ref, actor=None,
                  actor_role="system", now=now)
    return payment


def payments_reconcile_due(*, limit: int = 20, now: datetime | None = None) -> int:
    """Sweep: check up to `limit` pending attempts past `reconcile_after` with the gateway and
    finish them. Returns how many it took (each is claimed, so the next batch moves on)."""
    now = now or timezone.now()
    ids = list(Payment.objects.filter(status=Payment.State.PENDING, reconcile_after__lte=now)
               .order_by("reconcile_after").values_list("pk", flat=True)[:limit])
    for payment_id in ids:
        payment_reconcile(payment_id=payment_id, now=now)
    return len(ids)
