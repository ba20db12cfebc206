"""Checkout: a buyer's lines become one order per store, stock reserved, in one transaction.

This is the hot path. It runs a small, fixed number of statements whatever the number of
lines: read the address, the products (locked, in id order), their specs and the chosen
shipping options with their rates for the address's country; reserve all stock with ONE
guarded UPDATE; insert orders, lines and timeline events with one INSERT each.
"""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone

from souk.accounts.models import Address
from souk.catalog.models import Product, ProductSpec, ShippingOption
from souk.core.errors import Conflict, ErrorCollector, FieldError, NotFound, ValidationFailed
from souk.orders.models import CartItem, Order, OrderEvent, OrderLine
from souk.orders.status import Status


@dataclass(frozen=True)
class CheckoutLine:
    product_id: int
    quantity: int


class OutOfStock(Conflict):
    code = "out_of_stock"


def new_order_number() -> str:
    """16 random digits, the first never zero."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def _check_shape(lines: list[CheckoutLine], shipping: dict[Any, Any]) -> dict[int, int]:
    """Rules that need no database: raise before touching it."""
    if not lines:
        raise ValidationFailed("Add at least one item to check out.", code="no_lines", field="lines")
    max_lines = settings.SOUK["CHECKOUT_MAX_LINES"]
    if len(lines) > max_lines:
        raise ValidationFailed(f"One checkout can have at most {max_lines} lines.", code="too_many_lines",
                               field="lines")
    max_q = settings.SOUK["LINE_MAX_QUANTITY"]
    errors = ErrorCollector()
    seen: set[int] = set()
    for i, line in enumerate(lines):
        if not isinstance(line.product_id, int) or isinstance(line.product_id, bool):
            errors.add(f"lines[{i}].product_id", "invalid", "Product id must be a number.")
        elif line.product_id in seen:
            errors.add(f"lines[{i}].product_id", "duplicate_product",
                       "This product is already in the checkout; change its quantity instead.")
        else:
            seen.add(line.product_id)
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or not 1 <= line.quantity <= max_q:
            errors.add(f"lines[{i}].quantity", "invalid_quantity", f"Quantity must be between 1 and {max_q}.")
    choice: dict[int, int] = {}
    for store_id, option_id in (shipping or {}).items():
        try:
            choice[int(store_id)] = int(option_id)
        except (TypeError, ValueError):
            errors.add(f"shipping.{store_id}", "invalid", "Shipping choices map store ids to option ids.")
    errors.raise_if_any()
    return choice


def _load_options(option_ids: list[int], country: str) -> dict[int, tuple]:
    """The chosen options with their rate for `country` and their rest-of-world rate: one query."""
    rows = (ShippingOption.objects.filter(pk__in=option_ids)
            .annotate(here=FilteredRelation("rates", condition=Q(rates__country=country)),
                      world=FilteredRelation("rates", condition=Q(rates__country="")))
            .values_list("pk", "store_id", "name", "carrier", "protection_days", "is_active",
                         "here__cost_minor", "here__min_days", "here__max_days",
                         "world__cost_minor", "world__min_days", "world__max_days"))
    return {row[0]: row for row in rows}


def _reserve_stock(wanted: list[tuple[int, int]]) -> set[int]:
    """Take `q` units of every (product id, q) in ONE guarded UPDATE; return the ids that had enough.

    `stock >= q` is re-checked on the row as it is when the UPDATE gets it (PostgreSQL
    re-evaluates the WHERE after waiting for a concurrent writer), so stock never goes
    below zero whatever the concurrency; the CHECK constraint is the last line of defence.
    """
    table = connection.ops.quote_name(Product._meta.db_table)
    params: list[int] = [x for pair in wanted for x in pair]
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s::bigint, %s::integer)"] * len(wanted))
        sql = (f"UPDATE {table} AS p SET stock = p.stock - v.q FROM (VALUES {values}) AS v(id, q) "
               f"WHERE p.id = v.id AND p.stock >= v.q RETURNING p.id")
    else:
        values = ", ".join(["(%s, %s)"] * len(wanted))
        sql = (f"UPDATE {table} SET stock = stock - v.q "
               f"FROM (SELECT column1 AS id, column2 AS q FROM (VALUES {values})) AS v "
               f"WHERE {table}.id = v.id AND {table}.stock >= v.q RETURNING {table}.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def _out_of_stock(lines: list[CheckoutLine], short: dict[int, tuple[str, int]]) -> OutOfStock:
    errors = []
    for i, line in enumerate(lines):
        if line.product_id in short:
            title, left = short[line.product_id]
            errors.append(FieldError(f"lines[{i}].quantity", "out_of_stock",
                                     f"Only {left} of “{title}” left." if left > 0 else f"“{title}” is sold out."))
    return OutOfStock(errors[0].message if len(errors) == 1 else "Some items are out of stock.",
                      code="out_of_stock", errors=errors)


def checkout(*, buyer, address_id: int, lines: list[CheckoutLine], shipping: dict[int, int],
             now: datetime | None = None) -> list[Order]:
    """Place one order per store for `lines`, shipped with `shipping[store_id] = option_id`.

    One transaction: everything is written, or (on any error) nothing is. Raises
    ValidationFailed (422) naming the field, NotFound for an address that is not the
    buyer's, OutOfStock (409, `out_of_stock`, field `lines[i].quantity`).
    """
    lines = list(lines)
    choice = _check_shape(lines, shipping)
    now = now or timezone.now()
    with transaction.atomic():
        return _place(buyer=buyer, address_id=address_id, lines=lines, choice=choice, now=now)


def _place(*, buyer, address_id: int, lines: list[CheckoutLine], choice: dict[int, int],
           now: datetime) -> list[Order]:
    address = Address.objects.filter(pk=address_id, user=buyer).first() if isinstance(address_id, int) else None
    if address is None:
        raise NotFound("Choose an address from your address book.", code="address_not_found", field="address_id")
    country = address.country.code

    ids = [line.product_id for line in lines]
    products = {row[0]: row for row in (
        Product.objects.filter(pk__in=ids).select_for_update(of=("self",)).order_by("pk")
        .values_list("pk", "store_id", "title", "price_minor", "currency", "stock", "is_active",
                     "store__is_active", "store__currency", "store__handling_days", "store__name"))}

    errors = ErrorCollector()
    store_names: dict[int, str] = {}
    for i, line in enumerate(lines):
        row = products.get(line.product_id)
        if row is None or not row[6] or not row[7] or row[4] != row[8]:
            errors.add(f"lines[{i}].product_id", "product_unavailable", "This product is not for sale.")
        else:
            store_names[row[1]] = row[10]
    for store_id, name in store_names.items():
        if store_id not in choice:
            errors.add(f"shipping.{store_id}", "shipping_option_required", f"Choose how {name} ships your order.")
    errors.raise_if_any()

    options = _load_options([choice[s] for s in store_names], country)
    shipping_of: dict[int, tuple] = {}
    for store_id, name in store_names.items():
        opt = options.get(choice[store_id])
        if opt is None or opt[1] != store_id or not opt[5]:
            errors.add(f"shipping.{store_id}", "invalid_shipping_option", f"Choose one of {name}'s shipping options.")
        elif opt[6] is not None:
            shipping_of[store_id] = (*opt[:5], opt[6], opt[7], opt[8])
        elif opt[9] is not None:
            shipping_of[store_id] = (*opt[:5], opt[9], opt[10], opt[11])
        else:
            errors.add(f"shipping.{store_id}", "shipping_unavailable",
                       f"{name} cannot ship “{opt[2]}” to {address.country.name}.")
    errors.raise_if_any()

    short = {line.product_id: (products[line.product_id][2], products[line.product_id][5])
             for line in lines if products[line.product_id][5] < line.quantity}
    if short:
        raise _out_of_stock(lines, short)
    reserved = _reserve_stock(sorted((line.product_id, line.quantity) for line in lines))
    if len(reserved) != len(lines):  # only when the rows were not locked (never on PostgreSQL)
        raise _out_of_stock(lines, {p: (products[p][2], 0) for p in ids if p not in reserved})

    specs: dict[int, list[list[str]]] = defaultdict(list)
    for product_id, name, value in (ProductSpec.objects.filter(product_id__in=ids)
                                    .order_by("product_id", "position", "pk").values_list("product_id", "name", "value")):
        specs[product_id].append([name, value])

    by_store: dict[int, list[CheckoutLine]] = defaultdict(list)
    for line in lines:
        by_store[products[line.product_id][1]].append(line)

    snapshot = address.snapshot()
    checkout_id = uuid.uuid4()
    pay_by = now + timedelta(hours=settings.SOUK["PAYMENT_WINDOW_HOURS"])
    orders: list[Order] = []
    for store_id, store_lines in by_store.items():
        first = products[store_lines[0].product_id]
        option = shipping_of[store_id]
        subtotal = sum(products[ln.product_id][3] * ln.quantity for ln in store_lines)
        orders.append(Order(
            checkout_id=checkout_id, buyer=buyer, store_id=store_id, status=Status.AWAITING_PAYMENT.value,
            currency=first[8], subtotal_minor=subtotal, shipping_minor=option[5], total_minor=subtotal + option[5],
            item_count=sum(ln.quantity for ln in store_lines), title=first[2][:200],
            shipping_address=snapshot, contact_email=buyer.email, contact_phone=address.phone,
            shipping_option_id=option[0], shipping_method=option[2], shipping_carrier=option[3],
            delivery_min_days=option[6], delivery_max_days=option[7], protection_days=option[4],
            handling_days=first[9], pay_by=pay_by, created_at=now, updated_at=now))
    _insert_orders(orders)

    order_lines = []
    for order in orders:
        for ln in by_store[order.store_id]:
            p = products[ln.product_id]
            order_lines.append(OrderLine(order_id=order.pk, product_id=ln.product_id, title=p[2],
                                         specs=specs.get(ln.product_id, []), unit_price_minor=p[3],
                                         quantity=ln.quantity, line_total_minor=p[3] * ln.quantity))
    OrderLine.objects.bulk_create(order_lines)
    OrderEvent.objects.bulk_create([
        OrderEvent(order_id=o.pk, kind="order_placed", actor_role=OrderEvent.Actor.BUYER, actor_id=buyer.pk,
                   to_status=Status.AWAITING_PAYMENT.value, data={"checkout_id": str(checkout_id)}, created_at=now)
        for o in orders])
    return orders


def _insert_orders(orders: list[Order], attempts: int = 3) -> None:
    """Insert with fresh random numbers; on the (astronomically rare) clash, draw again."""
    for attempt in range(attempts):
        numbers: set[str] = set()
        while len(numbers) < len(orders):
            numbers.add(new_order_number())
        for order, number in zip(orders, numbers, strict=True):
            order.number = number
        try:
            with transaction.atomic():
                Order.objects.bulk_create(orders)
            return
        except IntegrityError:
            if attempt == attempts - 1:
                raise


def checkout_cart(*, buyer, address_id: int, shipping: dict[int, int], now: datetime | None = None) -> list[Order]:
    """Check out everything in the buyer's cart and empty it, in one transaction."""
    with transaction.atomic():
        items = list(CartItem.objects.select_for_update().filter(buyer=buyer).order_by("pk")
                     .values_list("pk", "product_id", "quantity"))
        if not items:
            raise ValidationFailed("Your cart is empty.", code="cart_empty", field="lines")
        orders = checkout(buyer=buyer, address_id=address_id, now=now, shipping=shipping,
                          lines=[CheckoutLine(product_id=p, quantity=q) for _, p, q in items])
        CartItem.objects.filter(pk__in=[pk for pk, _, _ in items]).delete()
        return orders
