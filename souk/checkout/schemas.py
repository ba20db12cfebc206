"""API shapes of checkout: the lines and shipping choices in, the placed orders out (as orders shows them)."""

from __future__ import annotations

from ninja import Field, Schema

from souk.core.schemas import ID_PATTERN
from souk.orders.schemas import OrderOut


class CheckoutLineIn(Schema):
    product_id: int
    quantity: int


class CheckoutIn(Schema):
    address_id: int
    lines: list[CheckoutLineIn] | None = None
    shipping: dict[int, int] = Field(
        description="for each store of the order (its id as the key), the id of the shipping option chosen",
        json_schema_extra={"propertyNames": {"pattern": ID_PATTERN}})


class CheckoutOut(Schema):
    orders: list[OrderOut]
