"""The one stock API: every unit that leaves or returns to sale goes through these functions.

Catalog owns `Product.stock`; no other app writes it (docs/architecture.md). Each function is
set-based: ONE statement for any number of products, so a checkout of twenty lines or a
deadline batch of a hundred orders costs the same round trip as one.

- `stock_reserve(wanted)`: take units for a purchase, guarded (`stock >= q`), all or per product;
- `stock_release(quantities)`: put units back on sale (a cancellation, a refused verification);
- `stock_zero(product_ids)`: the seller said it ran out — the listing shows 0 until they restock.

`stock_reserve_part` is `stock_reserve` as a part of a workflow's one-statement write on PostgreSQL
(souk.core.sql): all or nothing, at the price the buyer saw.

Call them inside the caller's transaction: the stock moves with the state change that caused it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection

from souk.catalog.models import Product
from souk.core.sql import Part, to_json

__all__ = ["stock_release", "stock_reserve",
           "stock_reserve_part", "stock_reserve_part_params", "stock_zero"]


def _table() -> str:
    return connection.ops.quote_name(Product._meta.db_table)


def _values(pairs: list[tuple[int, int]]) -> tuple[str, list[int]]:
    """A `(VALUES ...) AS v(id, q)` source both databases read, and its parameters."""
    params = [x for pair in pairs for x in pair]
    if connection.vendor == "postgresql":
        return f"(VALUES {', '.join(['(%s::bigint, %s::integer)'] * len(pairs))}) AS v(id, q)", params
    return (f"(SELECT column1 AS id, column2 AS q FROM (VALUES {', '.join(['(%s, %s)'] * len(pairs))})) AS v",
            params)


def _clean(quantities: Mapping[int | None, int]) -> list[tuple[int, int]]:
    return sorted((pid, q) for pid, q in quantities.items() if pid is not None and q > 0)


def stock_reserve(wanted: Iterable[tuple[int, int]]) -> set[int]:
    """Take `q` units of every `(product id, q)` in ONE guarded UPDATE; return the ids that had enough.

    `stock >= q` is re-checked on the row as it is when the UPDATE gets it (PostgreSQL re-evaluates
    the WHERE after waiting for a concurrent writer), so stock never goes below zero whatever the
    concurrency; the CHECK constraint is the last line of defence. A product listed twice is taken
    once for the sum of its quantities. Products are updated in id order (no deadlock between two
    reservations of the same products).
    """
    merged: dict[int, int] = {}
    for pid, q in wanted:
        merged[pid] = merged.get(pid, 0) + q
    pairs = _clean(merged)
    if not pairs:
        return set()
    table = _table()
    source, params = _values(pairs)
    if connection.vendor == "postgresql":
        sql = (f"UPDATE {table} AS p SET stock = p.stock - v.q FROM {source} "
               f"WHERE p.id = v.id AND p.stock >= v.q RETURNING p.id")
    else:
        sql = (f"UPDATE {table} SET stock = stock - v.q FROM {source} "
               f"WHERE {table}.id = v.id AND {table}.stock >= v.q RETURNING {table}.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def stock_release(quantities: Mapping[int | None, int]) -> None:
    """Put `quantities` ({product id: units}) back on sale: ONE UPDATE. Ids of deleted products
    (`None`) and zero quantities are ignored."""
    pairs = _clean(quantities)
    if not pairs:
        return
    table = _table()
    source, params = _values(pairs)
    if connection.vendor == "postgresql":
        sql = f"UPDATE {table} AS p SET stock = p.stock + v.q FROM {source} WHERE p.id = v.id"
    else:
        sql = f"UPDATE {table} SET stock = stock + v.q FROM {source} WHERE {table}.id = v.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def stock_zero(product_ids: Iterable[int | None]) -> int:
    """The seller has none left: these products show 0 in stock (so nobody can buy them again) until
    the seller restocks. ONE UPDATE; returns how many listings changed."""
    ids = sorted({pid for pid in product_ids if pid is not None})
    if not ids:
        return 0
    return Product.objects.filter(pk__in=ids, stock__gt=0).update(stock=0)


# --- The reservation as a part of one statement (PostgreSQL) -----------------------------------

def stock_reserve_part(name: str) -> Part:
    """`stock_reserve` as a part of one write statement (souk.core.sql), for a buyer who read the
    products before writing: each `(product id, quantity, unit price)` is taken, guarded like
    `stock_reserve` (`stock >= q`, re-checked on the row as the UPDATE gets it), and only while
    the product is still for sale at the price read. All or nothing: the part's guard fails the
    whole statement (SQLSTATE 22012, division by zero) unless every product got its units, so
    nothing else the statement writes stays either. Yields the ids taken.
    Parameters: `stock_reserve_part_params(wanted)`."""
    return Part(name, f"""
UPDATE {_table()} AS p SET stock = p.stock - v.q
  FROM json_to_recordset(%s::json) AS v(id bigint, q integer, price bigint)
 WHERE p.id = ANY(%s::bigint[]) AND p.id = v.id AND p.stock >= v.q AND p.is_active AND p.price_minor = v.price
RETURNING p.id""", columns=("id",),
                guard=f"1 / ((SELECT count(*) FROM {name}) = %s)::integer", guard_sqlstate="22012")


def stock_reserve_part_params(wanted: Iterable[tuple[int, int, int]]) -> tuple[str, list[int], int]:
    """`wanted`: (product id, quantity, unit price read). A product listed twice is taken once for
    the sum of its quantities (as `stock_reserve` does); zero quantities are left out."""
    merged: dict[int, list[int]] = {}
    for pid, q, price in wanted:
        if pid in merged:
            if merged[pid][1] != price:
                raise ValueError(f"product {pid} wanted at two prices")
            merged[pid][0] += q
        else:
            merged[pid] = [q, price]
    rows = sorted((pid, q, price) for pid, (q, price) in merged.items() if q > 0)
    return (to_json([{"id": pid, "q": q, "price": price} for pid, q, price in rows]),
            [pid for pid, _, _ in rows], len(rows))
