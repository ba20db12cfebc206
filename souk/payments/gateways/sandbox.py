"""The sandbox gateway: behaves like a real processor, deterministically.

Magic tokens (like Stripe's test cards), for any method:

| token | outcome of `authorize` |
| --- | --- |
| `tok_visa`, `tok_mastercard`, `tok_ewallet`, `tok_balance` | authorized |
| `tok_insufficient_funds` / `tok_expired_card` / `tok_fraud` | status `failed`, that decline code |
| `tok_timeout` | `GatewayTimeout`, nothing happened |
| `tok_timeout_after_commit` | authorized, but the first call answers `GatewayTimeout` (retry with the same key sees it) |
| `tok_review` | authorized with risk verdict `review`: Souk holds the order for payment verification |
| `tok_transient` | `GatewayTransientError`, nothing happened |
| anything else | `GatewayDeclined` (`invalid_token`) |

Refunds are asynchronous: created `pending`, they settle `succeeded` with a
23-digit ARN once `SANDBOX_REFUND_SETTLE_SECONDS` have passed (seen by
`refund_status`). Balance refunds succeed at once. Failure injection by the
amount's cents (settings in `souk.payments.conf`): `.13` fails transiently N
times per idempotency key, `.14` settles `failed`, `.15` stays `requires_action`.

Latency injection (settings, or `SOUK_<NAME>` in the environment, e.g. for a
web or worker process in a crash test): `SANDBOX_AUTHORIZE_LATENCY_SECONDS`
delays `authorize` before it does anything (a process killed there never reached
the processor); `SANDBOX_AUTHORIZE_LATENCY_AFTER_SECONDS` after the charge is
made and before the answer, `SANDBOX_CAPTURE_LATENCY_AFTER_SECONDS` after the
capture and before the answer (a process killed there has charged but never
heard so); `SANDBOX_REFUND_LATENCY_BEFORE_SECONDS` delays `refund` before it does
anything, `SANDBOX_REFUND_LATENCY_AFTER_SECONDS` after the refund is made and
before the answer.

Lookups: `find_payment(idempotency_key=...)` answers what an authorization with
that key made (None: the processor never saw it); `list_payments()` and
`list_refunds()` are the processor's report of everything it holds, which
`souk audit` compares with Souk's records.

Every call is idempotent on its key (same key, same parameters -> same answer;
same key, other parameters -> `GatewayDeclined("idempotency_key_reused")`).

Remote-call semantics: the sandbox keeps its state in its own tables and every
call runs in its own short transaction, committed before it returns, exactly
like a remote API. It refuses to run inside a caller's transaction: our code
must never be able to roll back what "the processor" did, and must not hold row
locks across a network call.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from moneyed import Money

from souk.core.money import minor_to_money, money_to_minor
from souk.payments.conf import setting
from souk.payments.gateways.base import (
    DECLINE_MESSAGES,
    DeclineCode,
    GatewayDeclined,
    GatewayPayment,
    GatewayRefund,
    GatewayTimeout,
    GatewayTransientError,
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
)
from souk.payments.models import SandboxCharge, SandboxRefund

OK_TOKENS = frozenset({"tok_visa", "tok_mastercard", "tok_ewallet", "tok_balance", "tok_timeout_after_commit",
                       "tok_review"})
REVIEW_TOKENS = frozenset({"tok_review"})
DECLINE_TOKENS = {
    "tok_insufficient_funds": DeclineCode.INSUFFICIENT_FUNDS,
    "tok_expired_card": DeclineCode.EXPIRED_CARD,
    "tok_fraud": DeclineCode.FRAUD_SUSPECTED,
}


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return str((10 - total % 10) % 10)


def arn_for(ref: str) -> str:
    """A 23-digit acquirer reference number, stable for a refund, ending in a Luhn check digit."""
    body = "7" + str(int(hashlib.sha256(ref.encode()).hexdigest(), 16))[:21]
    return body + luhn_check_digit(body)


def _latency(name: str) -> None:
    seconds = float(setting(name))
    if seconds > 0:
        time.sleep(seconds)


def _outside_transaction() -> None:
    conn = transaction.get_connection()
    if any(not block._from_testcase for block in conn.atomic_blocks):
        raise RuntimeError("payment gateway calls are remote calls: make them outside any database transaction")


class SandboxGateway:
    name = "sandbox"

    def __init__(self, clock: Callable[[], datetime] = timezone.now):
        self.clock = clock

    # --- payments -------------------------------------------------------------------------
    def authorize(self, *, amount: Money, method: str, token: str, idempotency_key: str) -> GatewayPayment:
        _outside_transaction()
        _latency("SANDBOX_AUTHORIZE_LATENCY_SECONDS")
        if method not in PaymentMethod.__members__.values():
            raise GatewayDeclined(f"unknown payment method {method!r}", code="invalid_method")
        minor, currency = money_to_minor(amount), amount.currency.code
        if minor <= 0:
            raise GatewayDeclined("amount must be positive", code="invalid_amount")
        existing = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            self._same_params(existing, minor=minor, currency=currency, method=method, token=token)
            return self._payment(existing)
        if token == "tok_timeout":
            raise GatewayTimeout("sandbox: no answer in time", code="timeout")
        if token == "tok_transient":
            raise GatewayTransientError("sandbox: try again later", code="rate_limited")
        if token not in OK_TOKENS and token not in DECLINE_TOKENS:
            raise GatewayDeclined("sandbox: unknown payment token", code="invalid_token")
        decline = DECLINE_TOKENS.get(token)
        try:
            with transaction.atomic():
                charge = SandboxCharge.objects.create(
                    ref=f"ch_sbx_{secrets.token_hex(10)}", idempotency_key=idempotency_key, method=method,
                    token=token, amount_minor=minor, currency=currency,
                    status=PaymentStatus.FAILED if decline else PaymentStatus.AUTHORIZED,
                    decline_code=decline.value if decline else "")
        except IntegrityError:  # the same key raced in from another worker: answer as it did
            charge = SandboxCharge.objects.get(idempotency_key=idempotency_key)
            self._same_params(charge, minor=minor, currency=currency, method=method, token=token)
            return self._payment(charge)
        _latency("SANDBOX_AUTHORIZE_LATENCY_AFTER_SECONDS")  # a crash here: charged, but the answer is lost
        if token == "tok_timeout_after_commit":
            raise GatewayTimeout("sandbox: the answer was lost after the charge was made", code="timeout")
        return self._payment(charge)

    def capture(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> GatewayPayment:
        _outside_transaction()
        minor = money_to_minor(amount)
        with transaction.atomic():
            charge = self._charge(payment_ref, lock=True)
            if charge.status == PaymentStatus.CAPTURED:
                if charge.captured_minor != minor:
                    raise GatewayDeclined("payment already captured for another amount", code="already_captured")
                return self._payment(charge)
            if charge.status != PaymentStatus.AUTHORIZED:
                raise GatewayDeclined(f"payment is {charge.status}, not capturable", code="payment_not_capturable")
            if amount.currency.code != charge.currency or not 0 < minor <= charge.amount_minor:
                raise GatewayDeclined("capture amount exceeds the authorization", code="amount_too_large")
            charge.status, charge.captured_minor = PaymentStatus.CAPTURED, minor
            charge.save(update_fields=["status", "captured_minor"])
        _latency("SANDBOX_CAPTURE_LATENCY_AFTER_SECONDS")  # a crash here: captured, but the answer is lost
        return self._payment(charge)

    def void(self, *, payment_ref: str) -> GatewayPayment:
        _outside_transaction()
        with transaction.atomic():
            charge = self._charge(payment_ref, lock=True)
            if charge.status == PaymentStatus.AUTHORIZED:
                charge.status = PaymentStatus.VOIDED
                charge.save(update_fields=["status"])
            elif charge.status == PaymentStatus.CAPTURED:
                raise GatewayDeclined("a captured payment is refunded, not voided", code="payment_captured")
        return self._payment(charge)

    def find_payment(self, *, idempotency_key: str) -> GatewayPayment | None:
        _outside_transaction()
        charge = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return None if charge is None else self._payment(charge)

    def list_payments(self) -> Iterator[GatewayPayment]:
        _outside_transaction()
        for charge in SandboxCharge.objects.order_by("id").iterator(chunk_size=2000):
            yield self._payment(charge)

    def list_refunds(self) -> Iterator[GatewayRefund]:
        _outside_transaction()
        for refund in SandboxRefund.objects.select_related("charge").order_by("id").iterator(chunk_size=2000):
            yield self._refund(refund)

    # --- refunds --------------------------------------------------------------------------
    def refund(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> GatewayRefund:
        _outside_transaction()
        _latency("SANDBOX_REFUND_LATENCY_BEFORE_SECONDS")  # a crash here: the processor never heard of it
        minor, currency = money_to_minor(amount), amount.currency.code
        if minor <= 0:
            raise GatewayDeclined("refund amount must be positive", code="invalid_amount")
        fail_transiently = False
        with transaction.atomic():
            # The charge locked first (it serialises every refund of the payment), then ONE read, after
            # the lock, of what is already refunded and of the refund this key made, if any.
            refund_t = connection.ops.quote_name(SandboxRefund._meta.db_table)
            keyed = already = None
            charge = SandboxCharge.objects.select_for_update().filter(ref=payment_ref).first()
            with connection.cursor() as cursor:
                if charge is not None:
                    cursor.execute(
                        f"SELECT COALESCE(SUM(CASE WHEN charge_id = %s AND status NOT IN (%s, %s) THEN amount_minor "
                        f"END), 0), MAX(CASE WHEN idempotency_key = %s THEN id END) FROM {refund_t} "
                        f"WHERE charge_id = %s OR idempotency_key = %s",
                        [charge.pk, RefundStatus.FAILED.value, RefundStatus.CANCELED.value, idempotency_key,
                         charge.pk, idempotency_key])
                    already, keyed = cursor.fetchone()
            refund = None
            if charge is None or keyed is not None:  # a retry (or a key used for another payment)
                refund = (SandboxRefund.objects.select_for_update().select_related("charge")
                          .filter(idempotency_key=idempotency_key).first())
            if refund is None:
                if charge is None:
                    raise GatewayDeclined("no such payment", code="no_such_payment")
                if charge.status != PaymentStatus.CAPTURED:
                    raise GatewayDeclined("only a captured payment can be refunded", code="payment_not_captured")
                if currency != charge.currency:
                    raise GatewayDeclined("refund currency differs from the payment's", code="currency_mismatch")
                if already + minor > charge.captured_minor:
                    raise GatewayDeclined("refund exceeds the captured amount", code="refund_exceeds_captured")
                refund = SandboxRefund.objects.create(
                    ref=f"re_sbx_{secrets.token_hex(10)}", charge=charge, idempotency_key=idempotency_key,
                    amount_minor=minor, currency=currency, **self._refund_behaviour(charge, minor))
            elif (refund.charge.ref, refund.amount_minor, refund.currency) != (payment_ref, minor, currency):
                raise GatewayDeclined("idempotency key reused with other parameters", code="idempotency_key_reused")
            if refund.transient_failures_left:
                refund.transient_failures_left -= 1
                refund.save(update_fields=["transient_failures_left", "updated_at"])
                fail_transiently = True
        _latency("SANDBOX_REFUND_LATENCY_AFTER_SECONDS")  # a crash here: refunded, but the answer is lost
        if fail_transiently:  # after commit: the processor remembers it answered 503
            raise GatewayTransientError("sandbox: refund service unavailable", code="service_unavailable")
        return self._refund(refund)

    def refund_status(self, *, refund_ref: str) -> GatewayRefund:
        _outside_transaction()
        with transaction.atomic():
            refund = SandboxRefund.objects.select_for_update().select_related("charge").filter(ref=refund_ref).first()
            if refund is None or refund.transient_failures_left:
                raise GatewayDeclined("no such refund", code="no_such_refund")
            if refund.status == RefundStatus.PENDING and self.clock() >= refund.settle_at:
                if refund.outcome == SandboxRefund.Outcome.FAIL:
                    refund.status, refund.failure_reason = RefundStatus.FAILED, "bank_account_closed"
                else:
                    refund.status, refund.arn = RefundStatus.SUCCEEDED, arn_for(refund.ref)
                refund.save(update_fields=["status", "failure_reason", "arn", "updated_at"])
        return self._refund(refund)

    # --- helpers --------------------------------------------------------------------------
    def _refund_behaviour(self, charge: SandboxCharge, minor: int) -> dict:
        now = self.clock()
        cents = minor % 100
        fields: dict = {"status": RefundStatus.PENDING, "outcome": SandboxRefund.Outcome.SUCCEED,
                        "settle_at": now + timedelta(seconds=setting("SANDBOX_REFUND_SETTLE_SECONDS"))}
        if cents == setting("SANDBOX_REFUND_TRANSIENT_CENTS"):
            fields["transient_failures_left"] = setting("SANDBOX_REFUND_TRANSIENT_FAILURES")
        if cents == setting("SANDBOX_REFUND_FAIL_CENTS"):
            fields["outcome"] = SandboxRefund.Outcome.FAIL
        elif cents == setting("SANDBOX_REFUND_ACTION_CENTS"):
            fields["outcome"], fields["status"] = SandboxRefund.Outcome.ACTION, RefundStatus.REQUIRES_ACTION
        elif charge.method == PaymentMethod.BALANCE:
            fields["status"], fields["settle_at"] = RefundStatus.SUCCEEDED, now
        return fields

    @staticmethod
    def _same_params(charge: SandboxCharge, **params) -> None:
        stored = {"minor": charge.amount_minor, "currency": charge.currency, "method": charge.method,
                  "token": charge.token}
        if stored != params:
            raise GatewayDeclined("idempotency key reused with other parameters", code="idempotency_key_reused")

    @staticmethod
    def _charge(ref: str, *, lock: bool = False) -> SandboxCharge:
        qs = SandboxCharge.objects.select_for_update() if lock else SandboxCharge.objects
        charge = qs.filter(ref=ref).first()
        if charge is None:
            raise GatewayDeclined("no such payment", code="no_such_payment")
        return charge

    @staticmethod
    def _payment(charge: SandboxCharge) -> GatewayPayment:
        amount = charge.captured_minor if charge.status == PaymentStatus.CAPTURED else charge.amount_minor
        return GatewayPayment(ref=charge.ref, status=PaymentStatus(charge.status),
                              amount=minor_to_money(amount, charge.currency), method=PaymentMethod(charge.method),
                              decline_code=charge.decline_code,
                              message=DECLINE_MESSAGES.get(charge.decline_code, "") if charge.decline_code else "",
                              risk="review" if charge.token in REVIEW_TOKENS else "",
                              idempotency_key=charge.idempotency_key)

    @staticmethod
    def _refund(refund: SandboxRefund) -> GatewayRefund:
        return GatewayRefund(ref=refund.ref, payment_ref=refund.charge.ref, status=RefundStatus(refund.status),
                             amount=minor_to_money(refund.amount_minor, refund.currency), arn=refund.arn,
                             failure_reason=refund.failure_reason, idempotency_key=refund.idempotency_key)
