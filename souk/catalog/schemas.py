"""API shapes of the catalog. Money is always {amount: "12.50", currency: "USD"}."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Field, Schema

from souk.catalog.models import Product, ShippingOption, ShippingRate, Store
from souk.catalog.selectors import Quote
from souk.core.money import minor_to_decimal_str, money_to_minor


class FieldErrorOut(Schema):
    field: str
    code: str
    message: str


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldErrorOut] = Field(default_factory=list)


class MoneyOut(Schema):
    amount: str = Field(description="exact decimal string in the currency's precision", examples=["12.50"])
    currency: str = Field(description="ISO 4217 code", examples=["USD"])

    @staticmethod
    def of(minor: int, currency: str) -> MoneyOut:
        return MoneyOut(amount=minor_to_decimal_str(minor, currency), currency=currency)


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


# --- input -------------------------------------------------------------------------


class StoreOpenIn(Schema):
    name: str
    currency: str = Field(description="ISO 4217; every price of the store is in it", examples=["USD"])
    handling_days: int = Field(settings.SOUK["DEFAULT_HANDLING_DAYS"], description="1–60 days to ship")
    ships_from: str = Field(description="ISO 3166-1 alpha-2", examples=["CN"])
    description: str = ""


class StorePatchIn(Schema):
    name: str | None = None
    description: str | None = None
    handling_days: int | None = None
    ships_from: str | None = None


class SpecIn(Schema):
    name: str
    value: str


class ProductIn(Schema):
    title: str
    description: str = ""
    category: str | None = Field(None, description="category slug")
    price: str = Field(description="decimal string in the store's currency", examples=["12.50"])
    stock: int = 0
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    weight_g: int | None = None
    specs: list[SpecIn] = Field(default_factory=list, description="replaces all specs; at most 50")
    is_active: bool = True


class StockIn(Schema):
    stock: int | None = Field(None, description="set the stock to this count (≥ 0)")
    delta: int | None = Field(None, description="add this (may be negative) to the stock")


class StockOut(Schema):
    product_id: int
    stock: int


class RateIn(Schema):
    country: str = Field("", description="ISO 3166-1 alpha-2, or '' for the rest of the world")
    cost: str = Field(description="decimal string in the store's currency, ≥ 0", examples=["2.99"])
    min_days: int
    max_days: int


class ShippingOptionIn(Schema):
    name: str
    carrier: str = ""
    protection_days: int = settings.SOUK["DEFAULT_PROTECTION_DAYS"]
    is_active: bool = True
    rates: list[RateIn]
