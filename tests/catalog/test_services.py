"""The services' own rules: every page and API call goes through them, whatever the schema let in."""

from __future__ import annotations

import pytest

from souk.catalog.models import Product, ProductSpec, ShippingOption, Store
from souk.catalog.services import product_create, shipping_option_create, stock_set, store_open
from souk.core.errors import ValidationFailed
from tests.factories import ProductFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD_PRODUCT = {"title": "Desk lamp", "price": "12.50", "stock": 3, "specs": [{"name": "Material", "value": "Steel"}]}


@pytest.mark.parametrize("change, field, code", [
    ({"price": "-1.00"}, "price", "amount_not_positive"),
    ({"price": "1.005"}, "price", "money_too_precise"),
    ({"price": "ten"}, "price", "invalid_amount"),
    ({"price": 12.5}, "price", "invalid_amount"),
    ({"stock": -1}, "stock", "negative"),
    ({"stock": "many"}, "stock", "invalid_integer"),
    ({"height_mm": 0}, "height_mm", "too_small"),
    ({"title": "  "}, "title", "required"),
    ({"title": "nul\x00"}, "title", "invalid_text"),
    ({"category": "nope"}, "category", "unknown_category"),
    ({"specs": [{"name": "Size", "value": ""}]}, "specs.0.value", "required"),
    ({"specs": [{"name": "n", "value": "v"}] * 51}, "specs", "too_many_specs"),
])
def test_product_rules_name_the_field_and_code_and_write_nothing(change, field, code):
    store = StoreFactory()

    with pytest.raises(ValidationFailed) as exc:
        product_create(store=store, data={**GOOD_PRODUCT, **change})

    assert (field, code) in [(e.field, e.code) for e in exc.value.errors]
    assert not Product.objects.exists() and not ProductSpec.objects.exists()


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ValidationFailed) as exc:
        product_create(store=StoreFactory(), data={"title": "", "price": "-1", "stock": -1})

    assert {e.field for e in exc.value.errors} == {"title", "price", "stock"}


@pytest.mark.parametrize("change, field, code", [
    ({"currency": "usd"}, "currency", "unknown_currency"),
    ({"currency": "ABC"}, "currency", "unknown_currency"),
    ({"ships_from": "ZZ"}, "ships_from", "unknown_country"),
    ({"handling_days": 0}, "handling_days", "too_small"),
    ({"handling_days": 61}, "handling_days", "too_large"),
])
def test_store_rules_name_the_field_and_code(change, field, code):
    args = {"name": "Lamp House", "currency": "USD", "handling_days": 3, "ships_from": "US", **change}

    with pytest.raises(ValidationFailed) as exc:
        store_open(owner=UserFactory(), **args)

    assert (field, code) in [(e.field, e.code) for e in exc.value.errors]
    assert not Store.objects.exists()


@pytest.mark.parametrize("rate, field, code", [
    ({"country": "ZZ"}, "rates.0.country", "unknown_country"),
    ({"cost": "-1"}, "rates.0.cost", "amount_not_positive"),
    ({"cost": "0.001"}, "rates.0.cost", "money_too_precise"),
    ({"min_days": 9, "max_days": 3}, "rates.0.max_days", "days_range"),
    ({"min_days": -1}, "rates.0.min_days", "negative"),
])
def test_shipping_rate_rules_name_the_field_and_code(rate, field, code):
    data = {"name": "Standard", "rates": [{"country": "", "cost": "1.00", "min_days": 1, "max_days": 5, **rate}]}

    with pytest.raises(ValidationFailed) as exc:
        shipping_option_create(store=StoreFactory(), data=data)

    assert (field, code) in [(e.field, e.code) for e in exc.value.errors]
    assert not ShippingOption.objects.exists()


def test_setting_negative_stock_is_refused():
    product = ProductFactory(stock=2)

    with pytest.raises(ValidationFailed) as exc:
        stock_set(store=product.store, product_id=product.id, stock=-1)

    assert (exc.value.field, exc.value.code) == ("stock", "negative")
