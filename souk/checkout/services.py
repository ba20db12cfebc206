"""Checkout: a buyer's lines become one order per store, stock reserved, in one transaction.

This is the hot path. The rules live here, once, as plain functions over tuples
(`_check_shape`, `_check_products`, `_check_shipping`, `_short`, `_build`); two ways of
moving rows feed them:

- PostgreSQL (`souk.checkout.sql`): ONE read statement returns the address, the
  products, the chosen options with their rates, and the specs; ONE write statement
  reserves the stock with a guarded UPDATE and inserts the orders, lines and events.
  Outside an atomic block that is two statements and no BEGIN/COMMIT. When the write finds
  a line whose stock (or price, or availability) moved since the read, it writes nothing
  and the checkout runs again on the locked path below, which gives the exact answer.
- The locked path (SQLite, and PostgreSQL's fallback): the ORM reads the address, the
  products locked in id order, the options and the specs; one guarded UPDATE reserves all
  stock; one INSERT each writes orders, lines and events. A fixed number of statements
  whatever the number of lines.
"""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone
from django_countries import countries

from souk.accounts.models import Address
from souk.catalog.models import Product, ProductSpec, ShippingOption
from souk.catalog.stock import stock_reserve
from souk.core.errors import Conflict, ErrorCollector, FieldError, NotFound, ValidationFailed
from souk.orders.error_codes import ErrorCode
from souk.orders.models import CartItem, Order, OrderEvent, OrderLine
from souk.orders.status import Status

# Row shapes shared by both paths:
#   product: (pk, store_id, title, price_minor, currency, stock, is_active,
#             store_is_active, store_currency, store_handling_days, store_name)
#   option:  (pk, store_id, name, carrier, protection_days, is_active,
#             here_cost, here_min, here_max, world_cost, world_min, world_max)
#   shipping (resolved): (pk, store_id, name, carrier, protection_days, cost, min_days, max_days)
P_STORE, P_TITLE, P_PRICE, P_CURRENCY, P_STOCK = 1, 2, 3, 4, 5
P_ACTIVE, P_STORE_ACTIVE, P_STORE_CURRENCY, P_HANDLING, P_STORE_NAME = 6, 7, 8, 9, 10


@dataclass(frozen=True)
class CheckoutLine:
    product_id: int
    quantity: int


class OutOfStock(Conflict):
    code = ErrorCode.OUT_OF_STOCK


def new_order_number() -> str:
    """16 random digits, the first never zero."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


# --- Rules (no database) ----------------------------------------------------------------

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


_BIGINT = range(-(2**63), 2**63)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _address_not_found() -> NotFound:
    return NotFound("Choose an address from your address book.", code="address_not_found", field="address_id")


def _check_products(lines: list[CheckoutLine], products: dict[int, tuple], choice: dict[int, int]) -> dict[int, str]:
    """Every product is for sale and every store it comes from has a shipping choice: {store id: name}."""
    errors = ErrorCollector()
    store_names: dict[int, str] = {}
    for i, line in enumerate(lines):
        row = products.get(line.product_id)
        if row is None or not row[P_ACTIVE] or not row[P_STORE_ACTIVE] or row[P_CURRENCY] != row[P_STORE_CURRENCY]:
            errors.add(f"lines[{i}].product_id", "product_unavailable", "This product is not for sale.")
        else:
            store_names[row[P_STORE]] = row[P_STORE_NAME]
    for store_id, name in store_names.items():
        if store_id not in choice:
            errors.add(f"shipping.{store_id}", "shipping_option_required", f"Choose how {name} ships your order.")
    errors.raise_if_any()
    return store_names


def _check_shipping(store_names: dict[int, str], choice: dict[int, int], options: dict[int, tuple],
                    country: str) -> dict[int, tuple]:
    """Each store's chosen option is its own, active, and ships to `country`: {store id: resolved option}."""
    errors = ErrorCollector()
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
                       f"{name} cannot ship “{opt[2]}” to {countries.name(country)}.")
    errors.raise_if_any()
    return shipping_of


def _check_customs(country: str, lines: list[CheckoutLine]) -> None:
    """Customs rules of the destination (souk.compliance): refused lines name `lines[i].product_id`."""
    from souk.compliance.services import check_checkout_lines  # compliance builds on orders

    check_checkout_lines(country=country, lines=lines)


def _short(lines: list[CheckoutLine], products: dict[int, tuple]) -> dict[int, tuple[str, int]]:
    """{product id: (title, units left)} for the lines that want more than is left."""
    return {line.product_id: (products[line.product_id][P_TITLE], products[line.product_id][P_STOCK])
            for line in lines if products[line.product_id][P_STOCK] < line.quantity}


def _out_of_stock(lines: list[CheckoutLine], short: dict[int, tuple[str, int]]) -> OutOfStock:
    errors = []
    for i, line in enumerate(lines):
        if line.product_id in short:
            title, left = short[line.product_id]
            errors.append(FieldError(f"lines[{i}].quantity", "out_of_stock",
                                     f"Only {left} of “{title}” left." if left > 0 else f"“{title}” is sold out."))
    return OutOfStock(errors[0].message if len(errors) == 1 else "Some items are out of stock.",
                      code="out_of_stock", errors=errors)


@dataclass
class _Plan:
    """What a valid checkout writes: unsaved orders (no number, no pk yet), and line rows
    (store id, product id, title, specs, unit price, quantity, line total)."""

    orders: list[Order]
    line_rows: list[tuple]
    checkout_id: uuid.UUID
    now: datetime

    def event(self, buyer_id: int) -> tuple[str, str, int, str, dict[str, Any], datetime]:
        return ("order_placed", OrderEvent.Actor.BUYER.value, buyer_id, Status.AWAITING_PAYMENT.value,
                {"checkout_id": str(self.checkout_id)}, self.now)


# Every Order column with its default, in field order: an order is built positionally
# (Model.__init__'s fast path) from these with the checkout's values laid over them.
_ORDER_BLANK: dict[str, Any] = {f.attname: f.get_default() for f in Order._meta.concrete_fields}
_ORDER_DEFAULT_FACTORIES = {f.attname: f.get_default for f in Order._meta.concrete_fields
                            if f.has_default() and callable(f.default)}


def _new_order(buyer, **values: Any) -> Order:
    row = {**_ORDER_BLANK, **{a: make() for a, make in _ORDER_DEFAULT_FACTORIES.items()}, **values}
    if len(row) != len(_ORDER_BLANK):
        raise TypeError(f"Order has no field {sorted(set(row) - set(_ORDER_BLANK))}")
    order = Order(*row.values())
    Order.buyer.field.set_cached_value(order, buyer)
    return order


def _build(*, buyer, lines: list[CheckoutLine], products: dict[int, tuple], shipping_of: dict[int, tuple],
           specs: dict[int, list[list[str]]], snapshot: dict[str, str], now: datetime) -> _Plan:
    by_store: dict[int, list[CheckoutLine]] = defaultdict(list)
    for line in lines:
        by_store[products[line.product_id][P_STORE]].append(line)
    checkout_id = uuid.uuid4()
    pay_by = now + timedelta(hours=settings.SOUK["PAYMENT_WINDOW_HOURS"])
    updated_at = timezone.now()
    orders: list[Order] = []
    line_rows: list[tuple] = []
    for store_id, store_lines in by_store.items():
        first = products[store_lines[0].product_id]
        option = shipping_of[store_id]
        subtotal = sum(products[ln.product_id][P_PRICE] * ln.quantity for ln in store_lines)
        orders.append(_new_order(
            buyer, checkout_id=checkout_id, buyer_id=buyer.pk, store_id=store_id,
            status=Status.AWAITING_PAYMENT.value, currency=first[P_STORE_CURRENCY], subtotal_minor=subtotal,
            shipping_minor=option[5], total_minor=subtotal + option[5],
            item_count=sum(ln.quantity for ln in store_lines), title=first[P_TITLE][:200],
            shipping_address=snapshot, contact_email=buyer.email, contact_phone=snapshot["phone"],
            shipping_option_id=option[0], shipping_method=option[2], shipping_carrier=option[3],
            delivery_min_days=option[6], delivery_max_days=option[7], protection_days=option[4],
            handling_days=first[P_HANDLING], pay_by=pay_by, created_at=now, updated_at=updated_at))
        for ln in store_lines:
            p = products[ln.product_id]
            line_rows.append((store_id, ln.product_id, p[P_TITLE], specs.get(ln.product_id, []), p[P_PRICE],
                              ln.quantity, p[P_PRICE] * ln.quantity))
    return _Plan(orders=orders, line_rows=line_rows, checkout_id=checkout_id, now=now)


def _with_numbers(orders: list[Order], insert: Callable[[], Any], attempts: int = 3) -> Any:
    """Give the orders fresh random numbers and `insert()`; on the (astronomically rare) clash, draw again."""
    for attempt in range(attempts):
        numbers: set[str] = set()
        while len(numbers) < len(orders):
            numbers.add(new_order_number())
        for order, number in zip(orders, numbers, strict=True):
            order.number = number
        try:
            return insert()
        except IntegrityError:  # checkout_sql.NumberTaken is one
            if attempt == attempts - 1:
                raise


# --- The use case -----------------------------------------------------------------------

def checkout(*, buyer, address_id: int, lines: list[CheckoutLine], shipping: dict[int, int],
             now: datetime | None = None) -> list[Order]:
    """Place one order per store for `lines`, shipped with `shipping[store_id] = option_id`.

    All or nothing: everything is written, or (on any error) nothing is; on PostgreSQL all
    writes are one statement (its own transaction when the caller has none). Raises
    ValidationFailed (422) naming the field, NotFound for an address that is not the
    buyer's, OutOfStock (409, `out_of_stock`, field `lines[i].quantity`).
    """
    lines = list(lines)
    choice = _check_shape(lines, shipping)
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        orders = _place_fast(buyer=buyer, address_id=address_id, lines=lines, choice=choice, now=now)
        if orders is not None:
            _schedule_payment_windows(orders)
            return orders
    with transaction.atomic():
        orders = _place(buyer=buyer, address_id=address_id, lines=lines, choice=choice, now=now)
        _schedule_payment_windows(orders)
        return orders


def _schedule_payment_windows(orders: list[Order]) -> None:
    """The fast path of each order's payment-window timer (the `payment_window` sweep is the safety net).

    In the locked path this is in the checkout's transaction. After the one-statement fast path it
    follows the commit: a crash in between loses only the fast path (the sweep still cancels on
    time, from the partial index on `pay_by`), and a task never exists for an order that does not.
    """
    from souk.cancellations.tasks import schedule_payment_window

    schedule_payment_window(order_ids=[o.pk for o in orders], pay_by=orders[0].pay_by)


def _place_fast(*, buyer, address_id: int, lines: list[CheckoutLine], choice: dict[int, int],
                now: datetime) -> list[Order] | None:
    """PostgreSQL: one read, the rules, one write. None when the write found the stock moved."""
    from souk.checkout import sql as checkout_sql  # noqa: PLC0415 - imports the PostgreSQL driver

    if not _is_id(address_id) or address_id not in _BIGINT:
        raise _address_not_found()
    # An id no bigint column can hold matches no row (as it does through the ORM).
    ids = [line.product_id for line in lines if line.product_id in _BIGINT]
    with checkout_sql.cursor() as cursor:
        facts = checkout_sql.read(cursor, buyer_id=buyer.pk, address_id=address_id, product_ids=ids,
                                  option_ids=[o for o in choice.values() if o in _BIGINT])
        if facts.snapshot is None:
            raise _address_not_found()
        store_names = _check_products(lines, facts.products, choice)
        shipping_of = _check_shipping(store_names, choice, facts.options, facts.snapshot["country"])
        _check_customs(facts.snapshot["country"], lines)
        short = _short(lines, facts.products)
        if short:
            raise _out_of_stock(lines, short)
        plan = _build(buyer=buyer, lines=lines, products=facts.products, shipping_of=shipping_of,
                      specs=facts.specs, snapshot=facts.snapshot, now=now)
        wanted = sorted((ln.product_id, ln.quantity, facts.products[ln.product_id][P_PRICE]) for ln in lines)
        written = _with_numbers(plan.orders, lambda: checkout_sql.write(
            cursor, orders=plan.orders, line_rows=plan.line_rows, wanted=wanted, event=plan.event(buyer.pk)))
    return plan.orders if written else None


def _load_options(option_ids: list[int], country: str) -> dict[int, tuple]:
    """The chosen options with their rate for `country` and their rest-of-world rate: one query."""
    rows = (ShippingOption.objects.filter(pk__in=option_ids)
            .annotate(here=FilteredRelation("rates", condition=Q(rates__country=country)),
                      world=FilteredRelation("rates", condition=Q(rates__country="")))
            .values_list("pk", "store_id", "name", "carrier", "protection_days", "is_active",
                         "here__cost_minor", "here__min_days", "here__max_days",
                         "world__cost_minor", "world__min_days", "world__max_days"))
    return {row[0]: row for row in rows}


def _place(*, buyer, address_id: int, lines: list[CheckoutLine], choice: dict[int, int],
           now: datetime) -> list[Order]:
    """The locked path: products locked in id order, so what it reads is what it writes."""
    address = Address.objects.filter(pk=address_id, user=buyer).first() if _is_id(address_id) else None
    if address is None:
        raise _address_not_found()

    ids = [line.product_id for line in lines]
    products = {row[0]: row for row in (
        Product.objects.filter(pk__in=ids).select_for_update(of=("self",)).order_by("pk")
        .values_list("pk", "store_id", "title", "price_minor", "currency", "stock", "is_active",
                     "store__is_active", "store__currency", "store__handling_days", "store__name"))}
    store_names = _check_products(lines, products, choice)
    shipping_of = _check_shipping(store_names, choice, _load_options([choice[s] for s in store_names],
                                                                      address.country.code), address.country.code)
    _check_customs(address.country.code, lines)
    short = _short(lines, products)
    if short:
        raise _out_of_stock(lines, short)
    reserved = stock_reserve(sorted((line.product_id, line.quantity) for line in lines))
    if len(reserved) != len(lines):  # only when the rows were not locked (never on PostgreSQL)
        raise _out_of_stock(lines, {p: (products[p][P_TITLE], 0) for p in ids if p not in reserved})

    specs: dict[int, list[list[str]]] = defaultdict(list)
    for product_id, name, value in (ProductSpec.objects.filter(product_id__in=ids)
                                    .order_by("product_id", "position", "pk").values_list("product_id", "name", "value")):
        specs[product_id].append([name, value])

    plan = _build(buyer=buyer, lines=lines, products=products, shipping_of=shipping_of, specs=specs,
                  snapshot=address.snapshot(), now=now)
    orders = plan.orders

    def insert() -> None:
        with transaction.atomic():
            Order.objects.bulk_create(orders)

    _with_numbers(orders, insert)
    order_of = {o.store_id: o.pk for o in orders}
    OrderLine.objects.bulk_create([
        OrderLine(order_id=order_of[store_id], product_id=product_id, title=title, specs=line_specs,
                  unit_price_minor=unit, quantity=q, line_total_minor=total)
        for store_id, product_id, title, line_specs, unit, q, total in plan.line_rows])
    kind, role, actor_id, to_status, data, created_at = plan.event(buyer.pk)
    OrderEvent.objects.bulk_create([
        OrderEvent(order_id=o.pk, kind=kind, actor_role=role, actor_id=actor_id, to_status=to_status, data=data,
                   created_at=created_at)
        for o in orders])
    return orders


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
