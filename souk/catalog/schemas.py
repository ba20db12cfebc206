"""API shapes of the catalog. Money is always {amount: "12.50", currency: "USD"}."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Field, Schema

from souk.catalog import rules
from souk.catalog.models import Product, ShippingOption, ShippingRate, Store
from souk.catalog.selectors import Quote
from souk.core.money import money_to_minor
from souk.core.schemas import (
    AMOUNT_PATTERN,
    CURRENCY_CODES,
    POSITIVE_AMOUNT_PATTERN,
    REQUIRED_TEXT_PATTERN,
    MoneyOut,
    StrictObjectIn,
    country_field,
    one_of,
    stated,
)

# Rules the schema can state (the services check them all again, and the rest):
TEXT = r"^[^\x00]*$"                       # PostgreSQL cannot store NUL
REQUIRED_TEXT = REQUIRED_TEXT_PATTERN  # and the services strip it: the same white space
# Refused here at once; the schema states the strict form (souk.core.schemas) that parse_money checks.
AMOUNT = r"^[0-9]{1,12}(\.[0-9]{1,4})?$"
DESCRIPTION_MAX = 10000


class FieldErrorOut(Schema):
    field: str
    code: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldErrorOut] = Field(default_factory=list)


class CategoryOut(Schema):
    id: int
    name: str
    slug: str
    parent_slug: str | None = None


class StoreSummaryOut(Schema):
    slug: str
    name: str
    ships_from: str
    handling_days: int

    @staticmethod
    def of(store: Store) -> StoreSummaryOut:
        return StoreSummaryOut(slug=store.slug, name=store.name, ships_from=store.ships_from,
                               handling_days=store.handling_days)


class ProductListItemOut(Schema):
    id: int
    title: str
    price: MoneyOut
    stock: int
    category: str | None = Field(description="category slug")
    store: StoreSummaryOut

    @staticmethod
    def of(product: Product) -> ProductListItemOut:
        return ProductListItemOut(id=product.id, title=product.title,
                                  price=MoneyOut.of(product.price_minor, product.currency), stock=product.stock,
                                  category=product.category.slug if product.category else None,
                                  store=StoreSummaryOut.of(product.store))


class ProductPageOut(Schema):
    items: list[ProductListItemOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class SpecOut(Schema):
    name: str
    value: str


class DimensionsOut(Schema):
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    weight_g: int | None


class RateOut(Schema):
    country: str = Field(description="ISO 3166-1 alpha-2, or '' for the rest of the world")
    cost: MoneyOut
    min_days: int
    max_days: int

    @staticmethod
    def of(rate: ShippingRate, currency: str) -> RateOut:
        return RateOut(country=rate.country, cost=MoneyOut.of(rate.cost_minor, currency),
                       min_days=rate.min_days, max_days=rate.max_days)


class ShippingOptionOut(Schema):
    id: int
    name: str
    carrier: str
    protection_days: int
    rates: list[RateOut]

    @staticmethod
    def of(option: ShippingOption, currency: str) -> ShippingOptionOut:
        return ShippingOptionOut(id=option.id, name=option.name, carrier=option.carrier,
                                 protection_days=option.protection_days,
                                 rates=[RateOut.of(r, currency) for r in option.rates.all()])


class SellerShippingOptionOut(ShippingOptionOut):
    is_active: bool

    @staticmethod
    def of(option: ShippingOption, currency: str) -> SellerShippingOptionOut:
        base = ShippingOptionOut.of(option, currency)
        return SellerShippingOptionOut(**base.dict(), is_active=option.is_active)


class QuoteOut(Schema):
    option_id: int
    name: str
    carrier: str
    protection_days: int
    rate_country: str = Field(description="the rate that applied: the country asked for, or '' (rest of world)")
    cost: MoneyOut
    min_days: int
    max_days: int
    handling_days: int
    earliest_delivery: dt.date
    latest_delivery: dt.date

    @staticmethod
    def of(quote: Quote, today: dt.date) -> QuoteOut:
        earliest, latest = quote.delivery_window(today)
        return QuoteOut(option_id=quote.option_id, name=quote.name, carrier=quote.carrier,
                        protection_days=quote.protection_days, rate_country=quote.country,
                        cost=MoneyOut.of(money_to_minor(quote.cost), quote.cost.currency.code),
                        min_days=quote.min_days, max_days=quote.max_days, handling_days=quote.handling_days,
                        earliest_delivery=earliest, latest_delivery=latest)


class ProductDetailOut(Schema):
    id: int
    title: str
    description: str
    price: MoneyOut
    stock: int
    in_stock: bool
    category: CategoryOut | None
    specs: list[SpecOut]
    dimensions: DimensionsOut
    store: StoreSummaryOut
    shipping_options: list[ShippingOptionOut]
    shipping_quotes: list[QuoteOut] | None = Field(
        None, description="only when `country` is given: what each option costs there and when it arrives")


class SellerProductOut(Schema):
    id: int
    title: str
    slug: str
    description: str
    category: str | None
    price: MoneyOut
    stock: int
    is_active: bool
    specs: list[SpecOut]
    dimensions: DimensionsOut

    @staticmethod
    def of(product: Product) -> SellerProductOut:
        return SellerProductOut(
            id=product.id, title=product.title, slug=product.slug, description=product.description,
            category=product.category.slug if product.category else None,
            price=MoneyOut.of(product.price_minor, product.currency), stock=product.stock,
            is_active=product.is_active,
            specs=[SpecOut(name=s.name, value=s.value) for s in product.specs.all()],
            dimensions=dimensions_of(product))


def dimensions_of(product: Product) -> DimensionsOut:
    return DimensionsOut(length_mm=product.length_mm, width_mm=product.width_mm,
                         height_mm=product.height_mm, weight_g=product.weight_g)


class StoreOut(Schema):
    slug: str
    name: str
    description: str
    currency: str
    handling_days: int
    ships_from: str
    created_at: dt.datetime


class SellerStoreOut(StoreOut):
    id: int
    is_active: bool
    return_address: str = Field(description="where buyers send returns agreed in a dispute")


# --- input -------------------------------------------------------------------------


class StoreOpenIn(StrictObjectIn):
    name: str = Field(min_length=1, max_length=120, pattern=REQUIRED_TEXT)
    currency: str = one_of(CURRENCY_CODES, description="ISO 4217 (upper case); every price of the store is in it",
                           examples=["USD"])
    handling_days: int = Field(settings.SOUK["DEFAULT_HANDLING_DAYS"], ge=1, le=60,
                               description="days the store has to ship a paid order")
    ships_from: str = country_field()
    description: str = Field("", max_length=5000, pattern=TEXT)


class StorePatchIn(StrictObjectIn):
    name: str = Field(None, min_length=1, max_length=120, pattern=REQUIRED_TEXT)
    description: str = Field(None, max_length=5000, pattern=TEXT)
    handling_days: int = Field(None, ge=1, le=60)
    ships_from: str = country_field(None)
    return_address: str = Field(None, max_length=500, pattern=TEXT,
                                description="where buyers send returns agreed in a dispute (docs/disputes.md)")


class SpecIn(StrictObjectIn):
    name: str = Field(min_length=1, max_length=80, pattern=REQUIRED_TEXT)
    value: str = Field(min_length=1, max_length=240, pattern=REQUIRED_TEXT)


class ProductIn(StrictObjectIn):
    title: str = Field(min_length=1, max_length=200, pattern=REQUIRED_TEXT)
    description: str = Field("", max_length=DESCRIPTION_MAX, pattern=TEXT)
    category: str | None = Field(None, max_length=80, description="category slug (see GET /categories)")
    price: str = Field(description="decimal string > 0 in the store's currency, at most its decimal places",
                       examples=["12.50"], pattern=AMOUNT, json_schema_extra=stated(pattern=POSITIVE_AMOUNT_PATTERN))
    stock: int = Field(0, ge=0, le=rules.MAX_STOCK)
    length_mm: int | None = Field(None, ge=1, le=rules.MAX_DIMENSION)
    width_mm: int | None = Field(None, ge=1, le=rules.MAX_DIMENSION)
    height_mm: int | None = Field(None, ge=1, le=rules.MAX_DIMENSION)
    weight_g: int | None = Field(None, ge=1, le=rules.MAX_DIMENSION)
    specs: list[SpecIn] = Field(default_factory=list, max_length=rules.MAX_SPECS,
                                description="replaces all specs")
    is_active: bool = True


class StockIn(StrictObjectIn):
    """Exactly one of `stock` and `delta` (422 `stock_or_delta` otherwise)."""

    model_config = {"json_schema_extra": {"oneOf": [{"required": ["stock"]}, {"required": ["delta"]}]}}

    stock: int = Field(None, ge=0, le=rules.MAX_STOCK, description="set the stock to this count")
    delta: int = Field(None, ge=-rules.MAX_STOCK, le=rules.MAX_STOCK,
                       description="add this (may be negative) to the stock; 409 `stock_would_go_negative` below zero")


class StockOut(Schema):
    product_id: int
    stock: int


class RateIn(StrictObjectIn):
    country: str = country_field("", blank=True, description="ISO 3166-1 alpha-2, or '' for the rest of the "
                                 "world; one rate per country (422 `duplicate_country`)")
    cost: str = Field(description="decimal string ≥ 0 in the store's currency", examples=["2.99"], pattern=AMOUNT,
                      json_schema_extra=stated(pattern=AMOUNT_PATTERN))
    min_days: int = Field(ge=0, le=rules.MAX_DAYS)
    max_days: int = Field(ge=0, le=rules.MAX_DAYS, description="not less than min_days")


class ShippingOptionIn(StrictObjectIn):
    name: str = Field(min_length=1, max_length=120, pattern=REQUIRED_TEXT)
    carrier: str = Field("", max_length=80, pattern=TEXT)
    protection_days: int = Field(settings.SOUK["DEFAULT_PROTECTION_DAYS"], ge=1, le=rules.MAX_DAYS)
    is_active: bool = True
    rates: list[RateIn] = Field(min_length=1, max_length=rules.MAX_RATES)
