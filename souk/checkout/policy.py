"""Checkout's rules as plain functions: no ORM, no SQL. Both ways of moving rows feed them the same facts
(souk.catalog.purchase: `ProductFacts`, `OptionFacts`), so both give the same answers and the same errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django_countries import countries

from souk.catalog.purchase import OptionFacts, ProductFacts
from souk.checkout.error_codes import ErrorCode
from souk.core.errors import Conflict, ErrorCollector, FieldError, NotFound, ValidationFailed


@dataclass(frozen=True)
class CheckoutLine:
    product_id: int
    quantity: int


class OutOfStock(Conflict):
    code = ErrorCode.OUT_OF_STOCK


@dataclass(frozen=True)
class Shipping:
    """A store's chosen option, resolved for the destination: the rate that applies."""

    option: OptionFacts
    cost: int
    min_days: int
    max_days: int


_BIGINT = range(-(2**63), 2**63)


def is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def fits_bigint(value: int) -> bool:
    """An id no bigint column can hold matches no row (as it does through the ORM)."""
    return value in _BIGINT


def address_not_found() -> NotFound:
    return NotFound("Choose an address from your address book.", code="address_not_found", field="address_id")


def check_shape(lines: list[CheckoutLine], shipping: dict[Any, Any]) -> dict[int, int]:
    """Rules that need no database: raise before touching it. Returns {store id: option id}."""
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
        if not is_id(line.product_id):
            errors.add(f"lines[{i}].product_id", "invalid", "Product id must be a number.")
        elif line.product_id in seen:
            errors.add(f"lines[{i}].product_id", "duplicate_product",
                       "This product is already in the checkout; change its quantity instead.")
        else:
            seen.add(line.product_id)
        if not is_id(line.quantity) or not 1 <= line.quantity <= max_q:
            errors.add(f"lines[{i}].quantity", "invalid_quantity", f"Quantity must be between 1 and {max_q}.")
    choice: dict[int, int] = {}
    for store_id, option_id in (shipping or {}).items():
        try:
            choice[int(store_id)] = int(option_id)
        except (TypeError, ValueError):
            errors.add(f"shipping.{store_id}", "invalid", "Shipping choices map store ids to option ids.")
    errors.raise_if_any()
    return choice


def check_products(lines: list[CheckoutLine], products: dict[int, ProductFacts],
                   choice: dict[int, int]) -> dict[int, str]:
    """Every product is for sale and every store it comes from has a shipping choice: {store id: name}."""
    errors = ErrorCollector()
    store_names: dict[int, str] = {}
    for i, line in enumerate(lines):
        p = products.get(line.product_id)
        if p is None or not p.is_active or not p.store_is_active or p.currency != p.store_currency:
            errors.add(f"lines[{i}].product_id", "product_unavailable", "This product is not for sale.")
        else:
            store_names[p.store_id] = p.store_name
    for store_id, name in store_names.items():
        if store_id not in choice:
            errors.add(f"shipping.{store_id}", "shipping_option_required",
                       f"Choose how {name} ships your order.")
    errors.raise_if_any()
    return store_names


def check_shipping(store_names: dict[int, str], choice: dict[int, int], options: dict[int, OptionFacts],
                   country: str) -> dict[int, Shipping]:
    """Each store's chosen option is its own, active, and ships to `country`: {store id: shipping}."""
    errors = ErrorCollector()
    shipping_of: dict[int, Shipping] = {}
    for store_id, name in store_names.items():
        opt = options.get(choice[store_id])
        if opt is None or opt.store_id != store_id or not opt.is_active:
            errors.add(f"shipping.{store_id}", "invalid_shipping_option",
                       f"Choose one of {name}'s shipping options.")
        elif opt.here_cost is not None:
            shipping_of[store_id] = Shipping(opt, opt.here_cost, opt.here_min_days, opt.here_max_days)
        elif opt.world_cost is not None:
            shipping_of[store_id] = Shipping(opt, opt.world_cost, opt.world_min_days, opt.world_max_days)
        else:
            errors.add(f"shipping.{store_id}", "shipping_unavailable",
                       f"{name} cannot ship “{opt.name}” to {countries.name(country)}.")
    errors.raise_if_any()
    return shipping_of


def short(lines: list[CheckoutLine], products: dict[int, ProductFacts]) -> dict[int, tuple[str, int]]:
    """{product id: (title, units left)} for the lines that want more than is left."""
    return {line.product_id: (products[line.product_id].title, products[line.product_id].stock)
            for line in lines if products[line.product_id].stock < line.quantity}


def out_of_stock(lines: list[CheckoutLine], short: dict[int, tuple[str, int]]) -> OutOfStock:
    errors = []
    for i, line in enumerate(lines):
        if line.product_id in short:
            title, left = short[line.product_id]
            message = f"Only {left} of “{title}” left." if left > 0 else f"“{title}” is sold out."
            errors.append(FieldError(f"lines[{i}].quantity", "out_of_stock", message))
    return OutOfStock(errors[0].message if len(errors) == 1 else "Some items are out of stock.",
                      code="out_of_stock", errors=errors)
