from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from souk.core.money import minor_to_decimal_str, money_to_minor
from souk.core.schemas import MoneyOut
from souk.core.schemas import money as money_out


class PayIn(Schema):
    method: str = Field(description="card, ewallet or balance")
    token: str = Field(description="payment token from the gateway's client side (sandbox: tok_visa, ...)")


class PaymentOut(Schema):
    id: int
    status: str = Field(description="pending (checking with the processor), authorized (being verified), "
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
    state: str
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



def _amounts(money, *, frozen) -> dict:
    """The seller's view of some money, per the ledger, as {amount, currency} objects."""
    def out(m) -> dict:
        return money_out(money_to_minor(m), m.currency.code)

    return {"captured": out(money.captured), "held": out(money.held), "released": out(money.released),
            "commission": out(money.commission), "seller_net": out(money.released - money.commission),
            "refunded": out(money.refunded), "refund_in_flight": out(money.refund_in_flight),
            "frozen": out(frozen)}


class BalanceAmounts(Schema):
    captured: MoneyOut = Field(description="paid by the buyer")
    held: MoneyOut = Field(description="still held in escrow")
    released: MoneyOut = Field(description="released from escrow, before commission")
    commission: MoneyOut = Field(description="Souk's commission on what was released")
    seller_net: MoneyOut = Field(description="released less commission: owed to the seller")
    refunded: MoneyOut = Field(description="refunded to the buyer, including refunds still in flight")
    refund_in_flight: MoneyOut = Field(description="refunds started, not yet settled")
    frozen: MoneyOut = Field(description="held in escrow and frozen by an open dispute")


class BalanceOrderOut(BalanceAmounts):
    number: str
    status: str
    created_at: datetime
    is_frozen: bool = Field(description="an open dispute freezes this order's escrow release")


class SellerBalanceOut(Schema):
    items: list[BalanceOrderOut] = Field(description="the store's orders with money in the ledger, newest first")
    totals: list[BalanceAmounts] = Field(description="the store's totals, one per currency")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


def seller_balance_out(page) -> dict:
    return {"items": [{"number": r.order.number, "status": r.order.status, "created_at": r.order.created_at,
                       "is_frozen": r.frozen, **_amounts(r.money, frozen=r.frozen_held)} for r in page.rows],
            "totals": [_amounts(t.money, frozen=t.frozen) for t in page.totals],
            "next_cursor": page.next_cursor}
