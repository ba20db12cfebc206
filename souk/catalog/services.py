"""Catalog writes: open a store, list products, keep stock honest, set shipping options.

One use case = one function = one transaction. A seller only ever reaches their
own store's rows: every lookup is scoped by `store`, so another store's product
or option is NotFound.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from souk.catalog import rules
from souk.catalog.models import Category, Product, ProductSpec, ShippingOption, ShippingRate, Store
from souk.catalog.selectors import country_or_error
from souk.core.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from souk.core.money import currency_or_error

PRODUCT_FIELDS = ("title", "description", "category", "price", "stock", "length_mm", "width_mm",
                  "height_mm", "weight_g", "specs", "is_active")
RETURN_ADDRESS_MAX = 500
DIMENSIONS = (("length_mm", "Length"), ("width_mm", "Width"), ("height_mm", "Height"), ("weight_g", "Weight"))


def _country(errors: ErrorCollector, value: Any, field: str, *, allow_blank: bool = False) -> str:
    if allow_blank and value in ("", None):
        return ""
    try:
        return country_or_error(value if isinstance(value, str) else "", field=field)
    except ValidationFailed as exc:
        errors.errors.extend(exc.errors)
        return ""


def _unique_slug(base: str, taken: set[str], max_length: int) -> str:
    base = base[: max_length - 8].strip("-") or "item"
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- stores ------------------------------------------------------------------------


def _store_fields(errors: ErrorCollector, data: dict, *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial or "name" in data:
        out["name"] = rules.text(errors, data.get("name"), "name", max_length=120, required=True,
                                 label="Store name")
    if not partial or "description" in data:
        out["description"] = rules.text(errors, data.get("description"), "description", max_length=5000)
    if not partial or "handling_days" in data:
        out["handling_days"] = rules.integer(errors, data.get("handling_days"), "handling_days", minimum=1,
                                             maximum=60, label="Handling time (days)")
    if not partial or "ships_from" in data:
        out["ships_from"] = _country(errors, data.get("ships_from"), "ships_from")
    if "return_address" in data:
        out["return_address"] = rules.text(errors, data.get("return_address"), "return_address",
                                           max_length=RETURN_ADDRESS_MAX)
    return out


def store_return_address(*, store_id: int) -> str:
    """Where buyers send a return agreed in a dispute ("" when the store has not set one)."""
    return Store.objects.filter(pk=store_id).values_list("return_address", flat=True).first() or ""


def store_open(*, owner, name: str, currency: str, handling_days: int, ships_from: str,
               description: str = "") -> Store:
    """Open the user's one store. 409 `store_exists` if they already have one."""
    errors = ErrorCollector()
    fields = _store_fields(errors, {"name": name, "description": description,
                                    "handling_days": handling_days, "ships_from": ships_from}, partial=False)
    try:
        currency_or_error(currency, field="currency")
    except ValidationFailed as exc:
        errors.errors.extend(exc.errors)
    if Store.objects.filter(owner=owner).exists():
        raise Conflict("You already have a store.", code="store_exists")
    errors.raise_if_any()
    base = slugify(fields["name"]) or "store"
    for _attempt in range(5):
        taken = set(Store.objects.filter(slug__startswith=base[:132]).values_list("slug", flat=True))
        slug = _unique_slug(base, taken, 140)
        try:
            with transaction.atomic():
                return Store.objects.create(owner=owner, slug=slug, currency=currency, **fields)
        except IntegrityError:
            if Store.objects.filter(owner=owner).exists():
                raise Conflict("You already have a store.", code="store_exists") from None
    raise Conflict("Could not pick a unique address for the store; try another name.", code="slug_taken")


@transaction.atomic
def store_update(*, store: Store, data: dict[str, Any]) -> Store:
    """Change name, description, handling_days, ships_from or return_address (only the keys given).
    The currency cannot change: every price is in it."""
    errors = ErrorCollector()
    if "currency" in data and data["currency"] != store.currency:
        errors.add("currency", "currency_locked", "A store's currency cannot change once it is open.")
    fields = _store_fields(errors, data, partial=True)
    errors.raise_if_any()
    locked = Store.objects.select_for_update().get(pk=store.pk)
    for key, value in fields.items():
        setattr(locked, key, value)
    if fields:
        locked.save(update_fields=list(fields))
    return locked


# --- products ----------------------------------------------------------------------


def _product_fields(errors: ErrorCollector, store: Store, data: dict, *, partial: bool) -> dict[str, Any]:
    def given(key: str) -> bool:
        return not partial or key in data

    out: dict[str, Any] = {}
    if given("title"):
        out["title"] = rules.text(errors, data.get("title"), "title", max_length=200, required=True)
    if given("description"):
        out["description"] = rules.text(errors, data.get("description"), "description", max_length=10000)
    if given("category"):
        slug = data.get("category")
        if slug in (None, ""):
            out["category"] = None
        else:
            category = (Category.objects.filter(slug=slug).first()
                        if isinstance(slug, str) and "\x00" not in slug else None)
            if category is None:
                errors.add("category", "unknown_category", f"There is no category '{slug}'.")
            out["category"] = category
    if given("price"):
        out["price_minor"] = rules.money_minor(errors, data.get("price"), "price", currency=store.currency,
                                               allow_zero=False, label="Price")
    if given("stock"):
        out["stock"] = rules.integer(errors, data.get("stock", 0), "stock", minimum=0,
                                     maximum=rules.MAX_STOCK, label="Stock")
    for key, label in DIMENSIONS:
        if given(key):
            out[key] = rules.integer(errors, data.get(key), key, minimum=1, maximum=rules.MAX_DIMENSION,
                                     label=label, required=False)
    if given("is_active"):
        out["is_active"] = rules.boolean(errors, data.get("is_active", True), "is_active")
    if given("specs"):
        out["specs"] = rules.specs(errors, data.get("specs") or [])
    return out


def _replace_specs(product: Product, specs: list[tuple[str, str]]) -> None:
    ProductSpec.objects.filter(product=product).delete()
    ProductSpec.objects.bulk_create(
        ProductSpec(product=product, name=name, value=value, position=pos)
        for pos, (name, value) in enumerate(specs))


@transaction.atomic
def product_create(*, store: Store, data: dict[str, Any]) -> Product:
    """List a new product in the store. `data`: title, price (decimal string in the
    store's currency), and optionally description, category (slug), stock, length_mm,
    width_mm, height_mm, weight_g, specs [{name, value}], is_active."""
    errors = ErrorCollector()
    data = {"stock": 0, "is_active": True, **data}
    fields = _product_fields(errors, store, data, partial=False)
    errors.raise_if_any()
    specs = fields.pop("specs")
    # Lock the store: serialises slug picking for concurrent creates in one store.
    Store.objects.select_for_update().filter(pk=store.pk).exists()
    base = slugify(fields["title"]) or "product"
    taken = set(Product.objects.filter(store=store, slug__startswith=base[:210])
                .values_list("slug", flat=True))
    product = Product.objects.create(store=store, currency=store.currency,
                                     slug=_unique_slug(base, taken, 220), **fields)
    _replace_specs(product, specs)
    return product


@transaction.atomic
def product_update(*, store: Store, product_id: int, data: dict[str, Any]) -> Product:
    """Change the given fields of one of the store's products; `specs`, when given,
    replaces the whole list. Another store's product is NotFound."""
    errors = ErrorCollector()
    fields = _product_fields(errors, store, data, partial=True)
    product = (Product.objects.select_for_update().filter(pk=product_id, store=store).first()
               if 0 < product_id < 2**63 else None)
    if product is None:
        raise NotFound("No such product.", code="product_not_found")
    errors.raise_if_any()
    specs = fields.pop("specs", None)
    for key, value in fields.items():
        setattr(product, key, value)
    product.save()
    if specs is not None:
        _replace_specs(product, specs)
    return product


def _stock_value(errors: ErrorCollector, value: Any, field: str, *, minimum: int) -> int | None:
    return rules.integer(errors, value, field, minimum=minimum, maximum=rules.MAX_STOCK, label=field.capitalize())


@transaction.atomic
def stock_set(*, store: Store, product_id: int, stock: int) -> int:
    """Set a product's stock to an absolute count (≥ 0). Returns the new stock."""
    errors = ErrorCollector()
    value = _stock_value(errors, stock, "stock", minimum=0)
    errors.raise_if_any()
    if not 0 < product_id < 2**63 or not Product.objects.filter(pk=product_id, store=store).update(stock=value):
        raise NotFound("No such product.", code="product_not_found")
    return value  # type: ignore[return-value]


@transaction.atomic
def stock_adjust(*, store: Store, product_id: int, delta: int) -> int:
    """Add `delta` (may be negative) to a product's stock in one UPDATE that refuses
    to go below zero (409 `stock_would_go_negative`). Returns the new stock."""
    errors = ErrorCollector()
    value = _stock_value(errors, delta, "delta", minimum=-rules.MAX_STOCK)
    errors.raise_if_any()
    assert value is not None
    if not 0 < product_id < 2**63:
        raise NotFound("No such product.", code="product_not_found")
    mine = Product.objects.filter(pk=product_id, store=store)
    updated = mine.filter(stock__gte=-value, stock__lte=rules.MAX_STOCK - value).update(stock=F("stock") + value)
    if not updated:
        current = mine.values_list("stock", flat=True).first()
        if current is None:
            raise NotFound("No such product.", code="product_not_found")
        if current + value < 0:
            raise Conflict(f"Only {current} in stock: cannot take away {-value}.",
                           code="stock_would_go_negative", field="delta")
        raise ValidationFailed("Stock would exceed the maximum.", code="too_large", field="delta")
    return mine.values_list("stock", flat=True).get()


# --- shipping options ------------------------------------------------------------------


def _option_fields(errors: ErrorCollector, store: Store, data: dict, *, partial: bool) -> dict[str, Any]:
    def given(key: str) -> bool:
        return not partial or key in data

    out: dict[str, Any] = {}
    if given("name"):
        out["name"] = rules.text(errors, data.get("name"), "name", max_length=120, required=True)
    if given("carrier"):
        out["carrier"] = rules.text(errors, data.get("carrier"), "carrier", max_length=80)
    if given("protection_days"):
        default = settings.SOUK["DEFAULT_PROTECTION_DAYS"]
        out["protection_days"] = rules.integer(errors, data.get("protection_days", default), "protection_days",
                                               minimum=1, maximum=rules.MAX_DAYS, label="Buyer protection (days)")
    if given("is_active"):
        out["is_active"] = rules.boolean(errors, data.get("is_active", True), "is_active")
    if given("rates"):
        out["rates"] = _rates(errors, store, data.get("rates"))
    return out


def _rates(errors: ErrorCollector, store: Store, value: Any) -> list[ShippingRate]:
    if not isinstance(value, list) or not value:
        errors.add("rates", "no_rates", "Give at least one rate (a country, or blank for the rest of the world).")
        return []
    if len(value) > rules.MAX_RATES:
        errors.add("rates", "too_many_rates", f"An option has at most {rules.MAX_RATES} rates.")
        return []
    rates: list[ShippingRate] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors.add(f"rates.{i}", "invalid_rate", "Each rate needs a country, cost, min_days and max_days.")
            continue
        raw_country = item.get("country") or ""
        country = _country(errors, raw_country.upper() if isinstance(raw_country, str) else raw_country,
                           f"rates.{i}.country", allow_blank=True)
        if country in seen:
            errors.add(f"rates.{i}.country", "duplicate_country",
                       f"There is already a rate for {country or 'the rest of the world'}.")
        seen.add(country)
        cost = rules.money_minor(errors, item.get("cost"), f"rates.{i}.cost", currency=store.currency,
                                 allow_zero=True, label="Cost")
        low = rules.integer(errors, item.get("min_days"), f"rates.{i}.min_days", minimum=0,
                            maximum=rules.MAX_DAYS, label="Minimum days")
        high = rules.integer(errors, item.get("max_days"), f"rates.{i}.max_days", minimum=0,
                             maximum=rules.MAX_DAYS, label="Maximum days")
        if low is not None and high is not None and low > high:
            errors.add(f"rates.{i}.max_days", "days_range", "Maximum days must not be less than minimum days.")
        rates.append(ShippingRate(country=country, cost_minor=cost or 0, min_days=low or 0, max_days=high or 0))
    return rates


def _save_rates(option: ShippingOption, rates: list[ShippingRate]) -> None:
    ShippingRate.objects.filter(option=option).delete()
    for rate in rates:
        rate.option = option
    ShippingRate.objects.bulk_create(rates)


@transaction.atomic
def shipping_option_create(*, store: Store, data: dict[str, Any]) -> ShippingOption:
    """Add a shipping option: name, carrier, protection_days, is_active and
    rates [{country ('' = rest of world), cost (decimal string), min_days, max_days}]."""
    errors = ErrorCollector()
    fields = _option_fields(errors, store, {"is_active": True, **data}, partial=False)
    errors.raise_if_any()
    rates = fields.pop("rates")
    option = ShippingOption.objects.create(store=store, **fields)
    _save_rates(option, rates)
    return option


@transaction.atomic
def shipping_option_update(*, store: Store, option_id: int, data: dict[str, Any]) -> ShippingOption:
    """Change the given fields of one of the store's options; `rates`, when given,
    replaces them all. Another store's option is NotFound."""
    errors = ErrorCollector()
    fields = _option_fields(errors, store, data, partial=True)
    option = (ShippingOption.objects.select_for_update().filter(pk=option_id, store=store).first()
              if 0 < option_id < 2**63 else None)
    if option is None:
        raise NotFound("No such shipping option.", code="shipping_option_not_found")
    errors.raise_if_any()
    rates = fields.pop("rates", None)
    for key, value in fields.items():
        setattr(option, key, value)
    if fields:
        option.save(update_fields=list(fields))
    if rates is not None:
        _save_rates(option, rates)
    return option
