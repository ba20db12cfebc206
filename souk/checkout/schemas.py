"""API shapes of checkout: the lines and shipping choices in, the placed orders out (as orders shows them)."""

from __future__ import annotations

from ninja import Schema

from souk.orders.schemas import OrderOut


class CheckoutLineIn(Schema):
    product_id: int
    quantity: int


class CheckoutIn(Schema):
    address_id: int
    lines: list[CheckoutLineIn] | None = None
    shipping: dict[int, int]


class CheckoutOut(Schema):
    orders: list[OrderOut]
