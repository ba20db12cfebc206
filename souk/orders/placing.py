"""Placing orders: the rows a purchase writes into orders' tables, and the two ways of writing them.

A placed order starts awaiting payment, with its lines (snapshots of what was bought) and an
`order_placed` event on its timeline (written by the timeline's bulk writer, souk.orders.events).
The workflow that decides *what* is bought (souk.checkout) builds the orders with `new_order` and
the lines as `LineRow`s, then writes them through one of:

- `place_orders(...)`: the ORM, one INSERT per table (the locked path, both databases);
- `placing_parts(...)` + `placing_params(...)` + `placed(...)`: the same rows as parts of one
  write statement (souk.core.sql) on PostgreSQL, which the workflow composes with the other
  owners' parts (stock, the payment-window timer) so that the whole purchase is one statement.

Both give the same rows, field for field (tests/checkout/test_fast_path_parity.py).
Order numbers are 16 random digits: on the (astronomically rare) clash, `with_numbers` draws again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction

from souk.core.sql import Part, quote, to_json
from souk.orders import events
from souk.orders.event_kinds import EventKind
from souk.orders.models import Order, OrderEvent, OrderLine
from souk.orders.status import Status


class LineRow(NamedTuple):
    """One line to write: its order is the order of `store_id` among the orders placed together."""

    store_id: int
    product_id: int
    title: str
    specs: list[list[str]]
    unit_price_minor: int
    quantity: int
    line_total_minor: int


class NumberTaken(IntegrityError):
    """An order number drawn at random is already used (nothing was written): draw again."""


def new_order_number() -> str:
    """16 random digits, the first never zero."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


# Every Order column with its default, in field order: an order is built positionally
# (Model.__init__'s fast path) from these with the caller's values laid over them.
_ORDER_BLANK: dict[str, Any] = {f.attname: f.get_default() for f in Order._meta.concrete_fields}
_ORDER_DEFAULT_FACTORIES = {f.attname: f.get_default for f in Order._meta.concrete_fields
                            if f.has_default() and callable(f.default)}


def new_order(buyer, **values: Any) -> Order:
    """An unsaved order of `buyer` awaiting payment (no number, no pk yet) with `values` (attnames)."""
    row = {**_ORDER_BLANK, **{a: make() for a, make in _ORDER_DEFAULT_FACTORIES.items()},
           "status": Status.AWAITING_PAYMENT.value, "buyer_id": buyer.pk, **values}
    if len(row) != len(_ORDER_BLANK):
        raise TypeError(f"Order has no field {sorted(set(row) - set(_ORDER_BLANK))}")
    order = Order(*row.values())
    Order.buyer.field.set_cached_value(order, buyer)
    return order


def with_numbers(orders: list[Order], insert: Callable[[], Any], attempts: int = 3) -> Any:
    """Give the orders fresh random numbers and `insert()`; on the (astronomically rare) clash, draw again."""
    for attempt in range(attempts):
        numbers: set[str] = set()
        while len(numbers) < len(orders):
            numbers.add(new_order_number())
        for order, number in zip(orders, numbers, strict=True):
            order.number = number
        try:
            return insert()
        except IntegrityError:  # NumberTaken is one
            if attempt == attempts - 1:
                raise


def _placed_event(buyer, orders: list[Order]) -> dict[str, Any]:
    """`record_many`'s arguments but the kind for the orders' `order_placed` events (placed together)."""
    first = orders[0]
    return {"actor_role": OrderEvent.Actor.BUYER.value, "actor": buyer,
            "to_status": Status.AWAITING_PAYMENT.value, "data": {"checkout_id": str(first.checkout_id)},
            "now": first.created_at}


# --- The ORM path ------------------------------------------------------------------------------

def place_orders(*, buyer, orders: list[Order], lines: list[LineRow]) -> None:
    """Write `orders` (numbered here; their pks set), their `lines` and their `order_placed` events:
    one INSERT per table. Call inside the purchase's transaction."""
    def insert() -> None:
        with transaction.atomic():
            Order.objects.bulk_create(orders)

    with_numbers(orders, insert)
    order_of = {o.store_id: o.pk for o in orders}
    OrderLine.objects.bulk_create([
        OrderLine(order_id=order_of[ln.store_id], product_id=ln.product_id, title=ln.title, specs=ln.specs,
                  unit_price_minor=ln.unit_price_minor, quantity=ln.quantity,
                  line_total_minor=ln.line_total_minor)
        for ln in lines])
    events.record_many(order_ids=[o.pk for o in orders], kind=EventKind.ORDER_PLACED,
                       **_placed_event(buyer, orders))


# --- The parts of one write statement (PostgreSQL) -----------------------------------------------

# The orders travel as one JSON array of objects keyed by column, read back with the table's own
# row type (so every column the model has is written, with the instance's values); the lines as
# a JSON array of objects with declared types.
_ORDER_COLUMNS = tuple((f.column, f.attname) for f in Order._meta.concrete_fields if not f.primary_key)


@dataclass(frozen=True)
class PlacingParts:
    """The parts writing what `place_orders` writes: `orders` yields `(id, store_id)` of every
    order, ids ascending in the list's order (a write statement's result, for `placed`)."""

    orders: Part
    lines: Part
    events: Part

    def __iter__(self):
        return iter((self.orders, self.lines, self.events))

    def params(self, *, buyer, orders: list[Order], lines: list[LineRow]) -> dict[str, tuple]:
        """Each part's parameters, by part name."""
        return {
            self.orders.name: (to_json([{c: vars(o)[a] for c, a in _ORDER_COLUMNS} for o in orders]),),
            self.lines.name: (to_json([
                {"n": n, "store_id": ln.store_id, "product_id": ln.product_id, "title": ln.title,
                 "specs": ln.specs, "unit_price_minor": ln.unit_price_minor, "quantity": ln.quantity,
                 "line_total_minor": ln.line_total_minor} for n, ln in enumerate(lines)]),),
            self.events.name: events.record_many_params(kind=EventKind.ORDER_PLACED,
                                                        **_placed_event(buyer, orders)),
        }


def placing_parts(*, orders: str, lines: str, events_: str) -> PlacingParts:
    """The three parts, named `orders`, `lines` and `events_`. Parameters: `.params(...)`."""
    columns = ", ".join(quote(c) for c, _ in _ORDER_COLUMNS)
    table = quote(Order._meta.db_table)
    order_part = Part(orders, f"""
INSERT INTO {table} ({columns})
SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s::json) WITH ORDINALITY AS r
 ORDER BY r.ordinality
RETURNING id, store_id""", columns=("id", "store_id"))
    line_part = Part(lines, f"""
INSERT INTO {quote(OrderLine._meta.db_table)}
       (order_id, product_id, title, specs, unit_price_minor, quantity, line_total_minor)
SELECT o.id, y.product_id, y.title, y.specs, y.unit_price_minor, y.quantity, y.line_total_minor
  FROM json_to_recordset(%s::json)
       AS y(n integer, store_id bigint, product_id bigint, title text, specs jsonb, unit_price_minor bigint,
            quantity integer, line_total_minor bigint)
  JOIN {orders} AS o ON o.store_id = y.store_id
 ORDER BY y.n
RETURNING id""", columns=("id",), needs=(orders,))
    return PlacingParts(order_part, line_part, events.record_many_part(events_, orders=orders))


def order_ids_json(orders: str) -> str:
    """SQL: the ids of the orders the part `orders` wrote, as a JSON array in the orders' list order."""
    return f"(SELECT json_agg(id ORDER BY id) FROM {orders})"


def placed(orders: list[Order], rows: list[tuple]) -> None:
    """The statement wrote `orders`: give each its pk from the result rows `(id, store_id, ...)`."""
    pk_of = {row[1]: row[0] for row in rows}
    for order in orders:
        order.pk = pk_of[order.store_id]
        order._state.adding = False
        order._state.db = connection.alias


def number_taken(exc: IntegrityError) -> bool:
    """Whether a failed write statement clashed on an order number (unique violation on the orders
    table: the only unique column an insert there can clash on), so the caller draws again."""
    cause = exc.__cause__
    return (getattr(cause, "sqlstate", None) == "23505"
            and getattr(getattr(cause, "diag", None), "table_name", None) == Order._meta.db_table)
