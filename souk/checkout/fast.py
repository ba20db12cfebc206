"""Checkout's PostgreSQL fast path: ONE read statement, ONE write statement, each composed of the
owners' parts (souk.core.sql). Checkout writes no SQL about any table: it lines the parts up.

The read (one row):
  `address`  accounts' address snapshot (souk.accounts.selectors.address_snapshot_part);
  `products`, `shipping`, `specs`  catalog's purchase facts (souk.catalog.purchase), the rates for the
      address's country;
  `customs_rules`  compliance's active rules of that country (customs_rules_part).

The write (its result: the orders' ids):
  `reserved`  catalog's all-or-nothing stock reservation at the prices read (stock_reserve_part); its
      guard undoes the whole statement when a line did not get its units;
  `placed`, `placed_lines`, `placed_events`  orders' orders, lines and `order_placed` events
      (souk.orders.placing, the events through the timeline's bulk writer);
  `payment_window`  cancellations' payment-window task row (payment_window_part), its args the ids
      of the orders just inserted, so the timer commits with them.

One statement is one transaction, so outside an atomic block there is no BEGIN, COMMIT or savepoint
at all; inside one (e.g. `checkout_cart`), a savepoint keeps a failed write from poisoning the
caller's transaction. Statements are prepared on first use (souk.core.sql.prepared_cursor).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import psycopg
from django.db import DataError, IntegrityError, OperationalError, connection, transaction

from souk.accounts.selectors import address_snapshot_from, address_snapshot_params, address_snapshot_part
from souk.cancellations.tasks import payment_window_in_statement, payment_window_part, payment_window_row
from souk.catalog import purchase
from souk.catalog.purchase import OptionFacts, ProductFacts
from souk.catalog.stock import stock_reserve_part, stock_reserve_part_params
from souk.checkout.policy import (
    CheckoutLine,
    address_not_found,
    check_products,
    check_shipping,
    fits_bigint,
    is_id,
    out_of_stock,
    short,
)
from souk.checkout.services import build, check_customs, schedule_payment_windows
from souk.compliance.services.customs import customs_rules_from, customs_rules_part
from souk.core.sql import Statement, prepared_cursor
from souk.orders.models import Order
from souk.orders.placing import NumberTaken, number_taken, order_ids_json, placed, placing_parts, with_numbers


@cache
def read_statement() -> Statement:
    return Statement(
        address_snapshot_part("address"),
        purchase.products_part("products"),
        purchase.shipping_part("shipping", country_from="address"),
        purchase.specs_part("specs"),
        customs_rules_part("customs_rules", country_from="address"),
    )


@cache
def _placing():
    return placing_parts(orders="placed", lines="placed_lines", events_="placed_events")


@cache
def write_statement(with_timer: bool) -> Statement:
    timer = (payment_window_part("payment_window", order_ids=order_ids_json("placed"), needs=("placed",)),)
    return Statement(stock_reserve_part("reserved"), *_placing(), *(timer if with_timer else ()),
                     result="placed")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules need, as the owners' ORM functions return it."""

    snapshot: dict[str, str] | None
    products: dict[int, ProductFacts]
    options: dict[int, OptionFacts]
    specs: dict[int, list[list[str]]]
    customs_rules: list | None  # None: no address, no country


def read(cursor, *, buyer_id: int, address_id: int, product_ids: list[int], option_ids: list[int]) -> Facts:
    statement = read_statement()
    cursor.execute(statement.sql, statement.params({
        "address": address_snapshot_params(user_id=buyer_id, address_id=address_id),
        "products": purchase.products_params(product_ids),
        "shipping": purchase.shipping_params(option_ids),
        "specs": purchase.specs_params(product_ids),
    }))
    values = statement.values(cursor.fetchone())
    snapshot = address_snapshot_from(values["address"])
    return Facts(
        snapshot=snapshot, products=purchase.products_from(values["products"]),
        options=purchase.shipping_from(values["shipping"]), specs=purchase.specs_from(values["specs"]),
        customs_rules=(customs_rules_from(values["customs_rules"], country=snapshot["country"])
                       if snapshot is not None else None))


def write(cursor, *, buyer, orders: list[Order], lines: list, wanted: list[tuple[int, int, int]]) -> bool:
    """Reserve `wanted` (product id, quantity, unit price) and insert `orders`, their lines, events and
    payment-window timer, in ONE statement.

    Sets each order's pk. Returns False, having written nothing, when a line could not get its stock
    at the price read (or, very rarely, when PostgreSQL broke a deadlock with it). Raises
    NumberTaken, having written nothing, when an order number is already taken.
    """
    with_timer = payment_window_in_statement()
    statement = write_statement(with_timer)
    values = {"reserved": stock_reserve_part_params(wanted),
              **_placing().params(buyer=buyer, orders=orders, lines=lines)}
    if with_timer:
        values["payment_window"] = payment_window_row(pay_by=orders[0].pay_by).params()
    params = statement.params(values)
    try:
        if connection.get_autocommit():
            cursor.execute(statement.sql, params)
        else:
            with transaction.atomic():
                cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    except DataError as exc:
        if statement.failed_guard(exc) == "reserved":
            return False
        raise
    except IntegrityError as exc:
        if number_taken(exc):
            raise NumberTaken(str(exc)) from exc
        raise
    except OperationalError as exc:  # another checkout locked our rows in the other order
        if isinstance(exc.__cause__, psycopg.errors.DeadlockDetected):
            return False
        raise
    placed(orders, rows)
    if not with_timer:
        schedule_payment_windows(orders)  # another task backend: enqueued after the write
    return True


def place(*, buyer, address_id: int, lines: list[CheckoutLine], choice: dict[int, int],
          now: datetime) -> list[Order] | None:
    """One read, the rules, one write. None when the write found the stock moved."""
    if not is_id(address_id) or not fits_bigint(address_id):
        raise address_not_found()
    ids = [line.product_id for line in lines if fits_bigint(line.product_id)]
    with prepared_cursor() as cursor:
        facts = read(cursor, buyer_id=buyer.pk, address_id=address_id, product_ids=ids,
                     option_ids=[o for o in choice.values() if fits_bigint(o)])
        if facts.snapshot is None:
            raise address_not_found()
        country = facts.snapshot["country"]
        store_names = check_products(lines, facts.products, choice)
        shipping_of = check_shipping(store_names, choice, facts.options, country)
        check_customs(country, lines, facts.customs_rules)
        missing = short(lines, facts.products)
        if missing:
            raise out_of_stock(lines, missing)
        plan = build(buyer=buyer, lines=lines, products=facts.products, shipping_of=shipping_of,
                     specs=facts.specs, snapshot=facts.snapshot, now=now)
        wanted = [(ln.product_id, ln.quantity, facts.products[ln.product_id].price_minor) for ln in lines]
        written = with_numbers(plan.orders, lambda: write(cursor, buyer=buyer, orders=plan.orders,
                                                          lines=plan.lines, wanted=wanted))
    return plan.orders if written else None
