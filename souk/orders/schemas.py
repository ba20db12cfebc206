"""API shapes for the cart, checkout and orders. Money is `{amount: "12.50", currency: "USD"}`."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from ninja import Field, Schema

from souk.core.schemas import MAX_ID, MoneyOut, money, stated
from souk.orders.event_kinds import EventKind
from souk.orders.models import Order
from souk.orders.selectors import Cart, OrderPage, OrderRow


class StoreRef(Schema):
    id: int
    name: str


# --- Cart ---------------------------------------------------------------------------

QUANTITY_MAX = settings.SOUK["LINE_MAX_QUANTITY"]


class CartAddIn(Schema):
    product_id: int = Field(json_schema_extra=stated(ge=1, le=MAX_ID), description="a product for sale (422 `product_unavailable` if not; "
                                                         "`insufficient_stock` beyond its stock)")
    quantity: int = Field(1, json_schema_extra=stated(ge=1, le=QUANTITY_MAX), description="422 `invalid_quantity` outside")


class CartQuantityIn(Schema):
    quantity: int = Field(json_schema_extra=stated(ge=0, le=QUANTITY_MAX),
                          description="0 removes the line (422 `invalid_quantity` outside the range); "
                                      "422 `insufficient_stock` beyond the product's stock")


class CartLineOut(Schema):
    product_id: int
    title: str
    unit_price: MoneyOut
    quantity: int
    line_total: MoneyOut
    available: bool


class CartStoreOut(Schema):
    store: StoreRef
    lines: list[CartLineOut]
    subtotal: MoneyOut


class CartOut(Schema):
    stores: list[CartStoreOut]
    item_count: int


def cart_out(cart: Cart) -> dict:
    return {
        "item_count": cart.item_count,
        "stores": [{
            "store": {"id": s.store_id, "name": s.store_name},
            "subtotal": money(s.subtotal_minor, s.currency),
            "lines": [{"product_id": ln.product_id, "title": ln.title, "quantity": ln.quantity,
                       "unit_price": money(ln.unit_price_minor, ln.currency),
                       "line_total": money(ln.line_total_minor, ln.currency), "available": ln.available}
                      for ln in s.lines],
        } for s in cart.stores],
    }


# --- Orders ---------------------------------------------------------------------------

class OrderListItem(Schema):
    number: str
    status: str
    status_label: str
    store: StoreRef
    title: str
    item_count: int
    total: MoneyOut
    created_at: datetime


class OrderListOut(Schema):
    items: list[OrderListItem]
    next_cursor: str | None


def row_out(row: OrderRow) -> dict:
    return {"number": row.number, "status": row.status, "status_label": row.status_label,
            "store": {"id": row.store_id, "name": row.store_name}, "title": row.title,
            "item_count": row.item_count, "total": money(row.total_minor, row.currency),
            "created_at": row.created_at}


def page_out(page: OrderPage) -> dict:
    return {"items": [row_out(r) for r in page.items], "next_cursor": page.next_cursor}


class OrderLineOut(Schema):
    id: int = Field(description="the line's id: what a line-level cancellation names as `line_id`")
    product_id: int | None
    title: str
    specs: list[list[str]]
    unit_price: MoneyOut
    quantity: int
    line_total: MoneyOut


class ShippingOut(Schema):
    option_id: int | None
    method: str
    carrier: str
    cost: MoneyOut
    delivery_min_days: int
    delivery_max_days: int
    protection_days: int
    handling_days: int
    tracking_carrier: str
    tracking_number: str


class DeadlinesOut(Schema):
    pay_by: datetime | None
    ship_by: datetime | None
    protection_ends_at: datetime | None


class EventOut(Schema):
    kind: EventKind = Field(description="What happened (docs/api.md lists the kinds; more may come)")
    kind_label: str = Field(description="The kind, for people")
    actor_role: str
    from_status: str
    to_status: str
    message: str
    data: dict
    created_at: datetime


class OrderOut(Schema):
    number: str
    status: str
    status_label: str
    store: StoreRef
    subtotal: MoneyOut
    shipping_cost: MoneyOut
    total: MoneyOut
    item_count: int
    lines: list[OrderLineOut]
    shipping_address: dict[str, str]
    contact_email: str
    contact_phone: str
    shipping: ShippingOut
    deadlines: DeadlinesOut
    paid_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    events: list[EventOut]


class ShipIn(Schema):
    carrier: str
    tracking_number: str


def order_out(order: Order, *, lines=None, events=None) -> dict:
    """Serialise an order. `lines`/`events` default to the prefetched relations."""
    cur = order.currency
    lines = order.lines.all() if lines is None else lines
    events = order.events.all() if events is None else events
    return {
        "number": order.number, "status": order.status, "status_label": order.status_label,
        "store": {"id": order.store_id, "name": order.store.name},
        "subtotal": money(order.subtotal_minor, cur), "shipping_cost": money(order.shipping_minor, cur),
        "total": money(order.total_minor, cur), "item_count": order.item_count,
        "lines": [{"id": ln.pk, "product_id": ln.product_id, "title": ln.title, "specs": ln.specs,
                   "unit_price": money(ln.unit_price_minor, cur), "quantity": ln.quantity,
                   "line_total": money(ln.line_total_minor, cur)} for ln in lines],
        "shipping_address": order.shipping_address, "contact_email": order.contact_email,
        "contact_phone": order.contact_phone,
        "shipping": {"option_id": order.shipping_option_id, "method": order.shipping_method,
                     "carrier": order.shipping_carrier, "cost": money(order.shipping_minor, cur),
                     "delivery_min_days": order.delivery_min_days, "delivery_max_days": order.delivery_max_days,
                     "protection_days": order.protection_days, "handling_days": order.handling_days,
                     "tracking_carrier": order.tracking_carrier, "tracking_number": order.tracking_number},
        "deadlines": {"pay_by": order.pay_by, "ship_by": order.ship_by,
                      "protection_ends_at": order.protection_ends_at},
        "paid_at": order.paid_at, "shipped_at": order.shipped_at, "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at, "created_at": order.created_at,
        "events": [{"kind": e.kind, "kind_label": EventKind(e.kind).label, "actor_role": e.actor_role,
                    "from_status": e.from_status, "to_status": e.to_status, "message": e.message,
                    "data": e.data, "created_at": e.created_at}
                   for e in events],
    }
