"""What a purchase needs to know of the catalog: the products with their store, the chosen shipping
options with their rates for one country, and the products' specs.

Each read has two forms that return the same thing (tests/checkout/test_fast_path_parity.py):

- a function over the ORM (`products_for_purchase`, `shipping_for_purchase`, `specs_for_purchase`),
  which checkout's locked path calls (products locked, in id order);
- a `Part` of one read statement (souk.core.sql) with its params builder and its parser, which
  checkout's PostgreSQL fast path composes with the other owners' parts: every row comes back
  as a JSON array, so the whole read is one round trip.

Stock is written only by souk.catalog.stock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import FilteredRelation, Q

from souk.catalog.models import Product, ProductSpec, ShippingOption, ShippingRate, Store
from souk.core.sql import IDS, Part, quote, to_json


class ProductFacts(NamedTuple):
    pk: int
    store_id: int
    title: str
    price_minor: int
    currency: str
    stock: int
    is_active: bool
    store_is_active: bool
    store_currency: str
    store_handling_days: int
    store_name: str


class OptionFacts(NamedTuple):
    """A shipping option with its rate for the country (`here_*`) and its rest-of-world rate
    (`world_*`); a rate it does not have is None."""

    pk: int
    store_id: int
    name: str
    carrier: str
    protection_days: int
    is_active: bool
    here_cost: int | None
    here_min_days: int | None
    here_max_days: int | None
    world_cost: int | None
    world_min_days: int | None
    world_max_days: int | None


_PRODUCT_COLUMNS = ("pk", "store_id", "title", "price_minor", "currency", "stock", "is_active",
                    "store__is_active", "store__currency", "store__handling_days", "store__name")


# --- The ORM forms ---------------------------------------------------------------------------

def products_for_purchase(product_ids: Iterable[int], *, lock: bool = False) -> dict[int, ProductFacts]:
    """{product id: facts} for the ids that exist. With `lock`, the product rows are locked
    (`FOR UPDATE`, in id order) until the transaction ends. One query."""
    qs = Product.objects.filter(pk__in=list(product_ids)).order_by("pk")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return {row[0]: ProductFacts._make(row) for row in qs.values_list(*_PRODUCT_COLUMNS)}


def shipping_for_purchase(option_ids: Iterable[int], *, country: str) -> dict[int, OptionFacts]:
    """{option id: facts} for the options that exist, with their rates for `country`. One query."""
    rows = (ShippingOption.objects.filter(pk__in=list(option_ids))
            .annotate(here=FilteredRelation("rates", condition=Q(rates__country=country)),
                      world=FilteredRelation("rates", condition=Q(rates__country="")))
            .values_list("pk", "store_id", "name", "carrier", "protection_days", "is_active",
                         "here__cost_minor", "here__min_days", "here__max_days",
                         "world__cost_minor", "world__min_days", "world__max_days"))
    return {row[0]: OptionFacts._make(row) for row in rows}


def specs_for_purchase(product_ids: Iterable[int]) -> dict[int, list[list[str]]]:
    """{product id: [[name, value], ...]} in the product's order, for products that have specs. One query."""
    specs: dict[int, list[list[str]]] = {}
    for product_id, name, value in (ProductSpec.objects.filter(product_id__in=list(product_ids))
                                    .order_by("product_id", "position", "pk")
                                    .values_list("product_id", "name", "value")):
        specs.setdefault(product_id, []).append([name, value])
    return specs


# --- The parts of one read statement (PostgreSQL) ---------------------------------------------

def _t(model) -> str:
    return quote(model._meta.db_table)


def products_part(name: str) -> Part:
    """`products_for_purchase` (unlocked) as a part: one row, `rows` a JSON array of facts.
    Parameters: `products_params`; result: `products_from`."""
    return Part(name, f"""
SELECT json_agg(json_build_array(p.id, p.store_id, p.title, p.price_minor, p.currency, p.stock, p.is_active,
                                 s.is_active, s.currency, s.handling_days, s.name)) AS rows
  FROM {_t(Product)} p JOIN {_t(Store)} s ON s.id = p.store_id
 WHERE p.id IN {IDS}""", columns=("rows",))


def products_params(product_ids: list[int]) -> tuple[str]:
    return (to_json(product_ids),)


def products_from(values: tuple) -> dict[int, ProductFacts]:
    return {row[0]: ProductFacts._make(row) for row in values[0] or ()}


def shipping_part(name: str, *, country_from: str) -> Part:
    """`shipping_for_purchase` as a part: one row, `rows` a JSON array of facts, the rates for the
    `country` column of the part `country_from`. Parameters: `shipping_params`; result: `shipping_from`."""
    return Part(name, f"""
SELECT json_agg(json_build_array(o.id, o.store_id, o.name, o.carrier, o.protection_days, o.is_active,
                                 h.cost_minor, h.min_days, h.max_days,
                                 w.cost_minor, w.min_days, w.max_days)) AS rows
  FROM {_t(ShippingOption)} o
  LEFT JOIN {_t(ShippingRate)} h ON h.option_id = o.id AND h.country = (SELECT country FROM {country_from})
  LEFT JOIN {_t(ShippingRate)} w ON w.option_id = o.id AND w.country = ''
 WHERE o.id IN {IDS}""", columns=("rows",), needs=(country_from,))


def shipping_params(option_ids: list[int]) -> tuple[str]:
    return (to_json(option_ids),)


def shipping_from(values: tuple) -> dict[int, OptionFacts]:
    return {row[0]: OptionFacts._make(row) for row in values[0] or ()}


def specs_part(name: str) -> Part:
    """`specs_for_purchase` as a part: one row, `rows` a JSON array of (product id, name, value).
    Parameters: `specs_params`; result: `specs_from`."""
    return Part(name, f"""
SELECT json_agg(json_build_array(sp.product_id, sp.name, sp.value) ORDER BY sp.product_id, sp.position, sp.id)
       AS rows
  FROM {_t(ProductSpec)} sp WHERE sp.product_id IN {IDS}""", columns=("rows",))


specs_params = products_params


def specs_from(values: tuple) -> dict[int, list[list[str]]]:
    specs: dict[int, list[list[str]]] = {}
    for product_id, name, value in values[0] or ():
        specs.setdefault(product_id, []).append([name, value])
    return specs
