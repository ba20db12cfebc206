from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from souk.core.money import minor_to_decimal_str
from souk.core.schemas import one_of
from souk.payments.gateways import PaymentMethod
from souk.payments.models import Payment, Refund


class PayIn(Schema):
    method: str = one_of(PaymentMethod, description="card, ewallet or balance (422 `invalid_method` otherwise)")
    token: str = Field(description="payment token from the gateway's client side (sandbox: tok_visa, ...)")


class PaymentOut(Schema):
    id: int
    status: str = one_of(Payment.State.values, description="pending (checking with the processor), authorized (being verified), "
                                    "captured, failed or voided")
    checking: bool = Field(description="true while Souk is checking the outcome with the payment processor")
    method: str
    amount: str
    currency: str
    decline_code: str
    gateway_ref: str

    @staticmethod
    def resolve_amount(obj) -> str:
        return minor_to_decimal_str(obj.amount_minor, obj.currency)


class RefundLineIn(Schema):
    line_id: int
    quantity: int


class RefundIn(Schema):
    amount: str | None = Field(None, description="decimal string, e.g. \"12.50\"; or give lines")
    currency: str | None = None
    lines: list[RefundLineIn] | None = None
    reason: str


class RefundOut(Schema):
    id: int
    state: str = one_of(Refund.State.values, description="`succeeded` once the money is back with the buyer")
    amount: str
    currency: str
    method: str
    reason: str
    lines: list[dict]
    expected_by: date
    delayed: bool
    gateway_ref: str
    arn: str
    attempts: int
    created_at: datetime
    settled_at: datetime | None

    @staticmethod
    def resolve_amount(obj) -> str:
        return minor_to_decimal_str(obj.amount_minor, obj.currency)
