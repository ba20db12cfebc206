"""Checkout: a buyer's lines become one order per store, stock reserved, in one transaction.

Checkout is a workflow app (docs/architecture.md): it owns no table. It decides what is bought
(the rules, souk.checkout.policy) and combines the owners' functions:

- accounts: the address (`address_snapshot`), frozen onto the order;
- catalog: the products, shipping options and specs (souk.catalog.purchase), and the stock
  (souk.catalog.stock, the one stock API);
- compliance: the destination's customs rules (`check_checkout_lines`);
- orders: the cart (souk.orders.cart) and the orders, lines and `order_placed` events
  (souk.orders.placing);
- cancellations: the payment-window timer (`schedule_payment_window`).

Two ways of moving rows feed the same rules:

- PostgreSQL (souk.checkout.fast): ONE read statement and ONE write statement, each composed of
  parts written by those owners. Outside an atomic block that is two statements and no
  BEGIN/COMMIT. When the write finds a line whose stock (or price, or availability) moved since
  the read, it writes nothing and the checkout runs again on the locked path, which gives the
  exact answer.
- The locked path (SQLite, and PostgreSQL's fallback): the owners' ORM functions, products
  locked in id order; a fixed number of statements whatever the number of lines.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from souk.accounts.selectors import address_snapshot
from souk.catalog.purchase import (
    ProductFacts,
    products_for_purchase,
    shipping_for_purchase,
    specs_for_purchase,
)
from souk.catalog.stock import stock_reserve
from souk.checkout.policy import (
    CheckoutLine,
    OutOfStock,
    Shipping,
    address_not_found,
    check_products,
    check_shape,
    check_shipping,
    is_id,
    out_of_stock,
    short,
)
from souk.core.errors import ValidationFailed
from souk.orders.cart import cart_items_locked, cart_items_remove
from souk.orders.models import Order
from souk.orders.placing import LineRow, new_order, place_orders

__all__ = ["CheckoutLine", "OutOfStock", "checkout", "checkout_cart"]


def check_customs(country: str, lines: list[CheckoutLine], rules=None) -> None:
    """Customs rules of the destination (souk.compliance): refused lines name `lines[i].product_id`."""
    from souk.compliance.services.customs import check_checkout_lines  # compliance builds on orders

    check_checkout_lines(country=country, lines=lines, rules=rules)


@dataclass
class Plan:
    """What a valid checkout writes: unsaved orders (no number, no pk yet) and their lines."""

    orders: list[Order]
    lines: list[LineRow]


def build(*, buyer, lines: list[CheckoutLine], products: dict[int, ProductFacts],
          shipping_of: dict[int, Shipping], specs: dict[int, list[list[str]]], snapshot: dict[str, str],
          now: datetime) -> Plan:
    """One order per store, in the order the stores first appear in `lines`; everything the buyer
    agreed to (prices, specs, address, phone, shipping, delivery days, protection days) snapshotted."""
    by_store: dict[int, list[CheckoutLine]] = defaultdict(list)
    for line in lines:
        by_store[products[line.product_id].store_id].append(line)
    checkout_id = uuid.uuid4()
    pay_by = now + timedelta(hours=settings.SOUK["PAYMENT_WINDOW_HOURS"])
    updated_at = timezone.now()
    orders: list[Order] = []
    rows: list[LineRow] = []
    for store_id, store_lines in by_store.items():
        first = products[store_lines[0].product_id]
        ship = shipping_of[store_id]
        subtotal = sum(products[ln.product_id].price_minor * ln.quantity for ln in store_lines)
        orders.append(new_order(
            buyer, checkout_id=checkout_id, store_id=store_id, currency=first.store_currency,
            subtotal_minor=subtotal, shipping_minor=ship.cost, total_minor=subtotal + ship.cost,
            item_count=sum(ln.quantity for ln in store_lines), title=first.title[:200],
            shipping_address=snapshot, contact_email=buyer.email, contact_phone=snapshot["phone"],
            shipping_option_id=ship.option.pk, shipping_method=ship.option.name,
            shipping_carrier=ship.option.carrier, delivery_min_days=ship.min_days,
            delivery_max_days=ship.max_days, protection_days=ship.option.protection_days,
            handling_days=first.store_handling_days, pay_by=pay_by, created_at=now, updated_at=updated_at))
        for ln in store_lines:
            p = products[ln.product_id]
            rows.append(LineRow(store_id, ln.product_id, p.title, specs.get(ln.product_id, []), p.price_minor,
                                ln.quantity, p.price_minor * ln.quantity))
    return Plan(orders=orders, lines=rows)


# --- The use cases ------------------------------------------------------------------------

def checkout(*, buyer, address_id: int, lines: list[CheckoutLine], shipping: dict[int, int],
             now: datetime | None = None) -> list[Order]:
    """Place one order per store for `lines`, shipped with `shipping[store_id] = option_id`.

    All or nothing: everything is written, or (on any error) nothing is; on PostgreSQL all
    writes (stock, orders, lines, events, the payment-window timer) are one statement (its own
    transaction when the caller has none). Raises ValidationFailed (422) naming the field,
    NotFound for an address that is not the buyer's, OutOfStock (409, `out_of_stock`, field
    `lines[i].quantity`).
    """
    lines = list(lines)
    choice = check_shape(lines, shipping)
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        from souk.checkout import fast  # noqa: PLC0415 - PostgreSQL only

        orders = fast.place(buyer=buyer, address_id=address_id, lines=lines, choice=choice, now=now)
        if orders is not None:
            return orders
    with transaction.atomic():
        orders = place_locked(buyer=buyer, address_id=address_id, lines=lines, choice=choice, now=now)
        schedule_payment_windows(orders)
        return orders


def schedule_payment_windows(orders: list[Order]) -> None:
    """The fast path of each order's payment-window timer (the `payment_window` sweep is the safety
    net), in the checkout's transaction."""
    from souk.cancellations.tasks import schedule_payment_window

    schedule_payment_window(order_ids=[o.pk for o in orders], pay_by=orders[0].pay_by)


def place_locked(*, buyer, address_id: int, lines: list[CheckoutLine], choice: dict[int, int],
                 now: datetime) -> list[Order]:
    """The locked path: products locked in id order, so what it reads is what it writes."""
    snapshot = address_snapshot(user_id=buyer.pk, address_id=address_id) if is_id(address_id) else None
    if snapshot is None:
        raise address_not_found()
    country = snapshot["country"]
    ids = [line.product_id for line in lines]
    products = products_for_purchase(ids, lock=True)
    store_names = check_products(lines, products, choice)
    options = shipping_for_purchase([choice[s] for s in store_names], country=country)
    shipping_of = check_shipping(store_names, choice, options, country)
    check_customs(country, lines)
    missing = short(lines, products)
    if missing:
        raise out_of_stock(lines, missing)
    reserved = stock_reserve(sorted((line.product_id, line.quantity) for line in lines))
    if len(reserved) != len(lines):  # only when the rows were not locked (never on PostgreSQL)
        raise out_of_stock(lines, {p: (products[p].title, 0) for p in ids if p not in reserved})

    plan = build(buyer=buyer, lines=lines, products=products, shipping_of=shipping_of,
                 specs=specs_for_purchase(ids), snapshot=snapshot, now=now)
    place_orders(buyer=buyer, orders=plan.orders, lines=plan.lines)
    return plan.orders


def checkout_cart(*, buyer, address_id: int, shipping: dict[int, int],
                  now: datetime | None = None) -> list[Order]:
    """Check out everything in the buyer's cart and empty it, in one transaction."""
    with transaction.atomic():
        items = cart_items_locked(buyer=buyer)
        if not items:
            raise ValidationFailed("Your cart is empty.", code="cart_empty", field="lines")
        orders = checkout(buyer=buyer, address_id=address_id, now=now, shipping=shipping,
                          lines=[CheckoutLine(product_id=p, quantity=q) for _, p, q in items])
        cart_items_remove(buyer=buyer, item_ids=[pk for pk, _, _ in items])
        return orders
