"""Catalog reads: product list (keyset pages), product and store detail, shipping quotes.

`shipping_quotes` is the one place shipping cost and delivery days are resolved;
the product page, the API and checkout all ask it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django_countries import countries

from souk.catalog.models import Category, Product, ShippingOption, ShippingRate, Store
from souk.core.errors import NotFound, ValidationFailed
from souk.core.money import Money, minor_to_money, money_to_minor
from souk.core.replica import tolerates_lag

MAX_PAGE_SIZE = 100
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class ProductPage:
    items: list[Product]
    next_cursor: str | None


@dataclass(frozen=True)
class Quote:
    """What one shipping option costs to one country and how long it takes.

    `country` is the rate that matched: the buyer's country, or '' when the
    option's rest-of-world rate applied. `min_days`/`max_days` are transit days
    after shipment; `handling_days` is the store's time to ship.
    """

    option_id: int
    store_id: int
    name: str
    carrier: str
    protection_days: int
    country: str
    cost: Money
    min_days: int
    max_days: int
    handling_days: int

    @property
    def cost_minor(self) -> int:
        return money_to_minor(self.cost)

    def delivery_window(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """Earliest and latest delivery dates for an order paid on `today`.

        Earliest: shipped at once, fastest transit. Latest: shipped on the last
        handling day, slowest transit.
        """
        return (today + dt.timedelta(days=self.min_days),
                today + dt.timedelta(days=self.handling_days + self.max_days))


def country_or_error(code: str | None, *, field: str = "country") -> str:
    """An upper-case ISO 3166-1 alpha-2 code known to django-countries, or a 422 naming `field`."""
    value = (code or "").strip().upper()
    if len(value) != 2 or not value.isalpha() or value not in countries:
        raise ValidationFailed(f"'{code}' is not an ISO 3166-1 country code.", code="unknown_country",
                               field=field)
    return value


def _text_filter(value: str | None, *, field: str, max_length: int = 200) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if "\x00" in value or len(value) > max_length:
        raise ValidationFailed(f"'{field}' is not a valid filter value.", code="invalid_filter", field=field)
    return value or None


def parse_cursor(cursor: str | None) -> int | None:
    if cursor in (None, ""):
        return None
    if not cursor.isdigit() or not 0 < int(cursor) <= MAX_ID:
        raise ValidationFailed("This cursor is not one we gave out.", code="invalid_cursor", field="cursor")
    return int(cursor)


def _public_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True, store__is_active=True)


@tolerates_lag
def product_list(*, query: str | None = None, category: str | None = None, store: str | None = None,
                 cursor: str | None = None, limit: int = 24) -> ProductPage:
    """One page of active products, newest first, in ONE query.

    `category` and `store` are slugs; `cursor` is the `next_cursor` of the
    previous page (keyset on id, served by the primary key or the
    (store, is_active, id) index).
    """
    query = _text_filter(query, field="q")
    category = _text_filter(category, field="category", max_length=80)
    store = _text_filter(store, field="store", max_length=140)
    after = parse_cursor(cursor)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE_SIZE}.", code="invalid_limit",
                               field="limit")
    qs = _public_products().select_related("store", "category")
    if query:
        qs = qs.filter(title__icontains=query)
    if category:
        qs = qs.filter(category__slug=category)
    if store:
        qs = qs.filter(store__slug=store)
    if after is not None:
        qs = qs.filter(id__lt=after)
    rows = list(qs.order_by("-id")[: limit + 1])
    has_more = len(rows) > limit
    items = rows[:limit]
    return ProductPage(items=items, next_cursor=str(items[-1].id) if has_more else None)


def product_detail(*, product_id: int) -> Product:
    """An active product with store, category, specs and the store's active shipping options
    and their rates: four queries whatever the sizes."""
    options = ShippingOption.objects.filter(is_active=True).prefetch_related(
        Prefetch("rates", queryset=ShippingRate.objects.order_by("country")))
    qs = (_public_products().select_related("store", "category")
          .prefetch_related("specs", Prefetch("store__shipping_options", queryset=options,
                                              to_attr="active_shipping_options")))
    if not 0 < product_id <= MAX_ID:
        raise NotFound("No such product.", code="product_not_found")
    try:
        return qs.get(pk=product_id)
    except Product.DoesNotExist:
        raise NotFound("No such product.", code="product_not_found") from None


def store_detail(*, slug: str) -> Store:
    try:
        return Store.objects.select_related("owner").get(slug=slug, is_active=True)
    except Store.DoesNotExist:
        raise NotFound("No such store.", code="store_not_found") from None


@tolerates_lag
def category_list() -> list[Category]:
    return list(Category.objects.order_by("name", "id"))


def shipping_quotes(*, store_id: int, country: str) -> list[Quote]:
    """Every active shipping option of the store that reaches `country`, cheapest first.

    For each option the rate for `country` wins over its rest-of-world rate
    (country ''); an option with neither is left out. One query. `country` must be an
    ISO 3166-1 alpha-2 code (422 `unknown_country` otherwise). Costs are Money in the
    store's currency.
    """
    return shipping_quotes_by_store(store_ids=[store_id], country=country).get(store_id, [])


def shipping_quotes_by_store(*, store_ids: list[int], country: str) -> dict[int, list[Quote]]:
    """`shipping_quotes` for several stores at once (a multi-store cart): one query.
    Stores that reach `country` by no option are absent from the answer."""
    country = country_or_error(country)
    rates = (ShippingRate.objects
             .filter(option__store_id__in=store_ids, option__is_active=True, country__in=[country, ""])
             .select_related("option", "option__store"))
    chosen: dict[int, ShippingRate] = {}
    for rate in rates:
        current = chosen.get(rate.option_id)
        if current is None or (rate.country and not current.country):
            chosen[rate.option_id] = rate
    out: dict[int, list[Quote]] = {}
    for rate in chosen.values():
        option, store = rate.option, rate.option.store
        out.setdefault(store.id, []).append(Quote(
            option_id=option.id, store_id=store.id, name=option.name, carrier=option.carrier,
            protection_days=option.protection_days, country=rate.country,
            cost=minor_to_money(rate.cost_minor, store.currency), min_days=rate.min_days,
            max_days=rate.max_days, handling_days=store.handling_days))
    for quotes in out.values():
        quotes.sort(key=lambda q: (q.cost.amount, q.max_days, q.option_id))
    return out


def shipping_quote(*, store_id: int, option_id: int, country: str) -> Quote:
    """The quote of one option to `country`; 422 `shipping_unavailable` on field `shipping_option`
    when the option is not the store's, inactive, or does not ship there."""
    for quote in shipping_quotes(store_id=store_id, country=country):
        if quote.option_id == option_id:
            return quote
    raise ValidationFailed("This shipping method does not deliver to that country.",
                           code="shipping_unavailable", field="shipping_option")


def seller_products(*, store: Store, with_specs: bool = False) -> list[Product]:
    """All of a store's products, active or not, newest first (one query; two with specs)."""
    qs = Product.objects.filter(store=store).select_related("category").order_by("-id")
    if with_specs:
        qs = qs.prefetch_related("specs")
    return list(qs)


def seller_product(*, store: Store, product_id: int) -> Product:
    """One of the store's own products with its specs; another store's product is NotFound."""
    if not 0 < product_id <= MAX_ID:
        raise NotFound("No such product.", code="product_not_found")
    try:
        return (Product.objects.select_related("category").prefetch_related("specs")
                .get(pk=product_id, store=store))
    except Product.DoesNotExist:
        raise NotFound("No such product.", code="product_not_found") from None


def seller_shipping_options(*, store: Store) -> list[ShippingOption]:
    return list(ShippingOption.objects.filter(store=store)
                .prefetch_related(Prefetch("rates", queryset=ShippingRate.objects.order_by("country")))
                .order_by("id"))


def seller_shipping_option(*, store: Store, option_id: int) -> ShippingOption:
    rates = Prefetch("rates", queryset=ShippingRate.objects.order_by("country"))
    option = (ShippingOption.objects.filter(pk=option_id, store=store).prefetch_related(rates).first()
              if 0 < option_id <= MAX_ID else None)
    if option is None:
        raise NotFound("No such shipping option.", code="shipping_option_not_found")
    return option
