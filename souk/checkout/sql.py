"""Checkout's PostgreSQL fast path: ONE read statement, ONE write statement, no ORM.

`souk.checkout.services` owns the rules; this module only moves rows. The read returns
everything the rules need in one row (the address, and the products, chosen shipping
options with their rates for the address's country, and specs as JSON arrays). The write
is one data-modifying statement: it takes the stock of every line with a guarded UPDATE,
inserts the orders, their lines and their `order_placed` events, and asserts that every
line got its stock; if one did not (sold out, deactivated or repriced since the read),
the whole statement fails and nothing is written. One statement is one transaction, so
outside an atomic block there is no BEGIN, COMMIT or savepoint at all; inside one (e.g.
`checkout_cart`), a savepoint keeps a failed write from poisoning the caller's
transaction.

Statements are sent with server-side parameters and prepared on first use (psycopg's
`prepare=True`), so PostgreSQL parses and plans them once per connection. They go
through Django's cursor wrapper, so query logging and `CaptureQueriesContext` see them.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from django.db import (
    DEFAULT_DB_ALIAS,
    DataError,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.backends.postgresql.base import ServerBindingCursor

from souk.accounts.models import Address
from souk.catalog.models import Product, ProductSpec, ShippingOption, ShippingRate, Store
from souk.orders.models import Order, OrderEvent, OrderLine

# The address columns frozen onto an order: exactly the keys of Address.snapshot().
SNAPSHOT_KEYS: tuple[str, ...] = tuple(Address(country="US").snapshot())


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# Ids travel as JSON arrays: PostgreSQL then estimates the same row counts whatever the
# values, so the prepared statement's generic plan is as good as a custom one and is kept
# (with `= ANY(array)` it estimated from each array's length and re-planned every time).
_IDS = "(SELECT x::bigint FROM json_array_elements_text(%s::json) AS x)"
READ_SQL = f"""
SELECT {", ".join(f"a.{connection.ops.quote_name(k)}" for k in SNAPSHOT_KEYS)},
  (SELECT json_agg(json_build_array(p.id, p.store_id, p.title, p.price_minor, p.currency, p.stock, p.is_active,
                                    s.is_active, s.currency, s.handling_days, s.name))
     FROM {_t(Product)} p JOIN {_t(Store)} s ON s.id = p.store_id
    WHERE p.id IN {_IDS}),
  (SELECT json_agg(json_build_array(o.id, o.store_id, o.name, o.carrier, o.protection_days, o.is_active,
                                    h.cost_minor, h.min_days, h.max_days, w.cost_minor, w.min_days, w.max_days))
     FROM {_t(ShippingOption)} o
     LEFT JOIN {_t(ShippingRate)} h ON h.option_id = o.id AND h.country = a.country
     LEFT JOIN {_t(ShippingRate)} w ON w.option_id = o.id AND w.country = ''
    WHERE o.id IN {_IDS}),
  (SELECT json_agg(json_build_array(sp.product_id, sp.name, sp.value) ORDER BY sp.product_id, sp.position, sp.id)
     FROM {_t(ProductSpec)} sp WHERE sp.product_id IN {_IDS})
FROM (SELECT 1) AS one LEFT JOIN {_t(Address)} a ON a.id = %s AND a.user_id = %s
"""

# The orders travel as one JSON array of objects keyed by column, read back with the
# table's own row type (so every column the model has is written, with the instance's
# values); lines and the wanted stock as JSON arrays of objects with declared types.
ORDER_COLUMNS: tuple[str, ...] = tuple(f.column for f in Order._meta.concrete_fields if not f.primary_key)
ORDER_ATTNAMES: tuple[str, ...] = tuple(f.attname for f in Order._meta.concrete_fields if not f.primary_key)
_ORDER_COLUMN_ATTNAMES = tuple(zip(ORDER_COLUMNS, ORDER_ATTNAMES, strict=True))

WRITE_SQL = f"""
WITH upd AS (
  UPDATE {_t(Product)} AS p SET stock = p.stock - v.q
    FROM json_to_recordset(%s::json) AS v(id bigint, q integer, price bigint)
   WHERE p.id = ANY(%s::bigint[]) AND p.id = v.id AND p.stock >= v.q AND p.is_active AND p.price_minor = v.price
  RETURNING p.id),
o AS (
  INSERT INTO {_t(Order)} ({", ".join(ORDER_COLUMNS)})
  SELECT {", ".join(ORDER_COLUMNS)} FROM json_populate_recordset(NULL::{_t(Order)}, %s::json)
  RETURNING id, store_id),
l AS (
  INSERT INTO {_t(OrderLine)} (order_id, product_id, title, specs, unit_price_minor, quantity, line_total_minor)
  SELECT o.id, y.product_id, y.title, y.specs, y.unit_price_minor, y.quantity, y.line_total_minor
    FROM json_to_recordset(%s::json) AS y(n integer, store_id bigint, product_id bigint, title text, specs jsonb,
                                          unit_price_minor bigint, quantity integer, line_total_minor bigint)
    JOIN o ON o.store_id = y.store_id
  ORDER BY y.n),
e AS (
  INSERT INTO {_t(OrderEvent)} (order_id, kind, actor_role, actor_id, from_status, to_status, message, data,
                                created_at)
  SELECT o.id, %s, %s, %s, '', %s, '', %s::jsonb, %s FROM o ORDER BY o.id)
SELECT o.id, o.store_id, 1 / ((SELECT count(*) FROM upd) = %s)::integer AS every_line_reserved FROM o
"""
# `every_line_reserved` divides by zero when the UPDATE took fewer rows than there are
# lines: that error undoes the whole statement, and the caller takes the locked path.


# Django opens psycopg connections with `prepare_threshold=None` (no statement is ever
# prepared, so that transaction-mode poolers keep working). Our cursor asks for preparation
# explicitly, which psycopg honours only when the threshold is a number: we set one so high
# that nothing but an explicit request ever prepares (Django's own cursors bind client-side
# and never prepare anyway). Behind a transaction-mode pooler, set SOUK_CHECKOUT_PREPARE=0.
_ONLY_WHEN_ASKED = 2**31
PREPARE = os.environ.get("SOUK_CHECKOUT_PREPARE", "1") != "0"


class _PreparedCursor(ServerBindingCursor):
    """Django's server-side-binding cursor, preparing every statement on first use."""

    def execute(self, query, params=None, *, prepare=PREPARE, binary=None):  # noqa: ANN001, ANN201
        return super().execute(query, params, prepare=prepare, binary=binary)

    def _send_query_prepared(self, name, pgq, *, binary=None):  # noqa: ANN001, ANN202
        # psycopg records the query only when it is not prepared; Django's query log reads it.
        self._query = pgq
        return super()._send_query_prepared(name, pgq, binary=binary)


def cursor():
    """A cursor for `read` and `write`, wrapped by Django like any other (so queries are logged and counted)."""
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    db.validate_thread_sharing()
    if PREPARE and db.connection.prepare_threshold is None:
        db.connection.prepare_threshold = _ONLY_WHEN_ASKED
    raw = _PreparedCursor(db.connection)
    return db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules need, as plain tuples (same shapes as the ORM path's rows)."""

    snapshot: dict[str, str] | None
    products: dict[int, tuple]
    options: dict[int, tuple]
    specs: dict[int, list[list[str]]]


def read(cursor, *, buyer_id: int, address_id: int, product_ids: list[int], option_ids: list[int]) -> Facts:
    products_json = _json(product_ids)
    cursor.execute(READ_SQL, (products_json, _json(option_ids), products_json, address_id, buyer_id))
    row = cursor.fetchone()
    n = len(SNAPSHOT_KEYS)
    snapshot = dict(zip(SNAPSHOT_KEYS, row[:n], strict=True)) if row[0] is not None else None
    products, options, specs_rows = row[n:]
    specs: dict[int, list[list[str]]] = {}
    for product_id, name, value in specs_rows or ():
        specs.setdefault(product_id, []).append([name, value])
    return Facts(snapshot=snapshot,
                 products={p[0]: tuple(p) for p in products or ()},
                 options={o[0]: tuple(o) for o in options or ()},
                 specs=specs)


def _order_row(values: dict[str, Any]) -> dict[str, Any]:
    return {c: values[a] for c, a in _ORDER_COLUMN_ATTNAMES}


class NumberTaken(IntegrityError):
    """An order number drawn at random is already used (nothing was written): draw again."""


def write(cursor, *, orders: list[Order], line_rows: list[tuple], wanted: list[tuple[int, int, int]],
          event: tuple[str, str, int, str, dict[str, Any], datetime]) -> bool:
    """Reserve `wanted` (product id, quantity, unit price) and insert `orders`, their lines and events.

    Sets each order's pk. Returns False, having written nothing, when a line could not get
    its stock at the price read (or, very rarely, when PostgreSQL broke a deadlock with it).
    Raises NumberTaken, having written nothing, when an order number is already taken.
    """
    kind, role, actor_id, to_status, data, created_at = event
    params = (
        _json([{"id": p, "q": q, "price": price} for p, q, price in wanted]), [p for p, _, _ in wanted],
        _json([_order_row(vars(o)) for o in orders]),
        _json([{"n": n, "store_id": row[0], "product_id": row[1], "title": row[2], "specs": row[3],
                "unit_price_minor": row[4], "quantity": row[5], "line_total_minor": row[6]}
               for n, row in enumerate(line_rows)]),
        kind, role, actor_id, to_status, _json(data), created_at, len(wanted),
    )
    try:
        if connection.get_autocommit():
            cursor.execute(WRITE_SQL, params)
        else:
            with transaction.atomic():
                cursor.execute(WRITE_SQL, params)
        rows = cursor.fetchall()
    except DataError as exc:
        if isinstance(exc.__cause__, psycopg.errors.DivisionByZero):
            return False
        raise
    except IntegrityError as exc:
        if isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
            raise NumberTaken(str(exc)) from exc
        raise
    except OperationalError as exc:  # another checkout locked our rows in the other order
        if isinstance(exc.__cause__, psycopg.errors.DeadlockDetected):
            return False
        raise
    pk_of = dict((store_id, pk) for pk, store_id, _ in rows)
    for order in orders:
        order.pk = pk_of[order.store_id]
        order._state.adding = False
        order._state.db = connection.alias
    return True


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode
