"""The payment gateway interface, shaped like the payment APIs people know.

A gateway is a remote system. Our code calls it *outside* any database
transaction (record the intent first, call, then record the outcome), and
always with an idempotency key that is stable across retries, so a call that
timed out can be repeated safely and never charges or refunds twice.

Errors:
- `GatewayTimeout`, `GatewayTransientError` (`retryable = True`): the outcome is
  unknown or the gateway is briefly unavailable; retry with the SAME key.
- `GatewayDeclined` (`retryable = False`): a final refusal of the request
  itself (unknown token, capture of a voided payment, refund beyond captured).
A card that is declined (insufficient funds...) is not an exception: `authorize`
returns a `GatewayPayment` with `status="failed"` and a `decline_code`, as
PaymentIntents do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from moneyed import Money


class PaymentMethod(StrEnum):
    CARD = "card"
    EWALLET = "ewallet"
    BALANCE = "balance"


class PaymentStatus(StrEnum):
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    FAILED = "failed"


class DeclineCode(StrEnum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    FRAUD_SUSPECTED = "fraud_suspected"


DECLINE_MESSAGES = {
    DeclineCode.INSUFFICIENT_FUNDS: "The card has insufficient funds.",
    DeclineCode.EXPIRED_CARD: "The card has expired.",
    DeclineCode.FRAUD_SUSPECTED: "The payment was declined as suspected fraud.",
}


class RefundStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


FINAL_REFUND_STATUSES = frozenset({RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.CANCELED})


@dataclass(frozen=True)
class GatewayPayment:
    ref: str
    status: PaymentStatus
    amount: Money
    method: PaymentMethod
    decline_code: str = ""
    message: str = ""
    risk: str = ""  # the processor's risk verdict: "" (normal) or "review" (hold for manual review)
    idempotency_key: str = ""  # the key of the authorization that made it (metadata at a real provider)

    @property
    def needs_review(self) -> bool:
        return self.risk == "review"

    @property
    def ok(self) -> bool:
        return self.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED)


@dataclass(frozen=True)
class GatewayRefund:
    ref: str
    payment_ref: str
    status: RefundStatus
    amount: Money
    arn: str = ""  # acquirer reference number, once the bank has it (23 digits for cards)
    failure_reason: str = ""
    idempotency_key: str = ""  # the key of the refund call that made it

    @property
    def final(self) -> bool:
        return self.status in FINAL_REFUND_STATUSES


class GatewayError(Exception):
    retryable = False

    def __init__(self, message: str, *, code: str = "gateway_error"):
        super().__init__(message)
        self.code = code


class GatewayTimeout(GatewayError):
    """No answer in time: the request may or may not have happened. Retry with the same key."""

    retryable = True


class GatewayTransientError(GatewayError):
    """The gateway is briefly unable to serve (rate limit, 5xx). Retry with the same key."""

    retryable = True


class GatewayDeclined(GatewayError):
    """A final refusal of the request; retrying will not help."""

    retryable = False


@runtime_checkable
class PaymentGateway(Protocol):
    name: str

    def authorize(self, *, amount: Money, method: str, token: str, idempotency_key: str) -> GatewayPayment:
        """Reserve `amount` on the buyer's instrument. Declines come back as status `failed`."""

    def capture(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> GatewayPayment:
        """Take (up to) the authorized amount."""

    def void(self, *, payment_ref: str) -> GatewayPayment:
        """Release an authorization that was not captured."""

    def refund(self, *, payment_ref: str, amount: Money, idempotency_key: str) -> GatewayRefund:
        """Start a refund of a captured payment; it usually settles later (poll `refund_status`)."""

    def refund_status(self, *, refund_ref: str) -> GatewayRefund:
        """The refund as the gateway sees it now."""

    def find_payment(self, *, idempotency_key: str) -> GatewayPayment | None:
        """The payment an `authorize` with this key made, as the gateway sees it now; None when the
        gateway never received that authorization. The reconciliation sweep asks this."""

    def list_payments(self) -> Iterable[GatewayPayment]:
        """Every payment the gateway holds for us (a settlement report); `souk audit` compares them."""

    def list_refunds(self) -> Iterable[GatewayRefund]:
        """Every refund the gateway holds for us; `souk audit` compares them."""
