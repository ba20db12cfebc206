"""Seller API: open a store, list products, keep stock honest, set shipping."""

from __future__ import annotations

import pytest
from django.test import Client

from souk.catalog.models import Product, ProductSpec, ShippingOption, ShippingRate, Store
from tests.factories import (
    ProductFactory,
    ProductSpecFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PRODUCT = {
    "title": "Desk lamp", "description": "Bright.", "category": "electronics", "price": "12.50", "stock": 7,
    "length_mm": 300, "width_mm": 150, "height_mm": 120, "weight_g": 900,
    "specs": [{"name": "Material", "value": "Steel"}, {"name": "Colour", "value": "Black"}],
}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_seller_calls_are_401(client):
    assert client.get("/api/seller/store").status_code == 401
    assert client.post("/api/seller/products", PRODUCT, content_type="application/json").status_code == 401


def test_a_user_without_a_store_is_not_a_seller(db):
    client = logged_in(UserFactory())

    response = client.post("/api/seller/products", PRODUCT, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "not_a_seller"
    assert not Product.objects.exists()


def test_a_user_opens_one_store_with_a_slug_from_its_name(db):
    user = UserFactory()
    client = logged_in(user)
    body = {"name": "Lamp House", "currency": "EUR", "handling_days": 3, "ships_from": "DE"}

    response = client.post("/api/seller/store", body, content_type="application/json")

    assert response.status_code == 201
    assert response.json()["slug"] == "lamp-house"
    assert response.json()["currency"] == "EUR"
    again = client.post("/api/seller/store", body, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "store_exists"
    assert Store.objects.filter(owner=user).count() == 1


def test_two_stores_with_the_same_name_get_distinct_slugs(db):
    body = {"name": "Lamp House", "currency": "USD", "ships_from": "US"}
    first = logged_in(UserFactory()).post("/api/seller/store", body, content_type="application/json").json()
    second = logged_in(UserFactory()).post("/api/seller/store", body, content_type="application/json").json()

    assert (first["slug"], second["slug"]) == ("lamp-house", "lamp-house-2")


@pytest.mark.parametrize("change, field, code", [
    ({"currency": "usd"}, "currency", "unknown_currency"),
    ({"currency": "XYZ"}, "currency", "unknown_currency"),
    ({"ships_from": "ZZ"}, "ships_from", "unknown_country"),
    ({"handling_days": 0}, "handling_days", "too_small"),
    ({"handling_days": 61}, "handling_days", "too_large"),
    ({"name": "   "}, "name", "required"),
])
def test_opening_a_store_with_bad_input_names_the_field_and_writes_nothing(db, change, field, code):
    body = {"name": "Lamp House", "currency": "USD", "handling_days": 3, "ships_from": "US", **change}

    response = logged_in(UserFactory()).post("/api/seller/store", body, content_type="application/json")

    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Store.objects.exists()


def test_seller_sees_and_patches_own_store(seller_client, store):
    response = seller_client.patch("/api/seller/store", {"handling_days": 2, "description": "Now faster"},
                                   content_type="application/json")

    assert response.status_code == 200
    store.refresh_from_db()
    assert (store.handling_days, store.description, store.name) == (2, "Now faster", "Gadget Bazaar")
    assert seller_client.get("/api/seller/store").json()["handling_days"] == 2


def test_seller_lists_a_product_with_specs_in_the_store_currency(seller_client, store, category):
    response = seller_client.post("/api/seller/products", PRODUCT, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    assert body["price"] == {"amount": "12.50", "currency": "USD"}
    assert body["specs"] == PRODUCT["specs"]
    product = Product.objects.get(pk=body["id"])
    assert (product.store, product.price_minor, product.stock, product.slug) == (store, 1250, 7, "desk-lamp")
    assert product.category == category


def test_put_replaces_the_product_and_its_specs_wholesale(seller_client, store, category):
    product = ProductFactory(store=store, title="Old")
    ProductSpecFactory.create_batch(3, product=product)

    response = seller_client.put(f"/api/seller/products/{product.id}",
                                 {**PRODUCT, "specs": [{"name": "Size", "value": "XL"}], "price": "9.99"},
                                 content_type="application/json")

    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.title, product.price_minor) == ("Desk lamp", 999)
    assert list(product.specs.values_list("name", "value")) == [("Size", "XL")]


BAD_PRODUCTS = [
    ({"price": "-1.00"}, "price", "amount_not_positive"),
    ({"price": "0"}, "price", "amount_not_positive"),
    ({"price": "1.005"}, "price", "money_too_precise"),
    ({"price": "ten"}, "price", "invalid_amount"),
    ({"stock": -1}, "stock", "negative"),
    ({"length_mm": 0}, "length_mm", "too_small"),
    ({"weight_g": -5}, "weight_g", "too_small"),
    ({"title": ""}, "title", "required"),
    ({"category": "no-such"}, "category", "unknown_category"),
    ({"specs": [{"name": "", "value": "x"}]}, "specs.0.name", "required"),
    ({"specs": [{"name": "n", "value": "v"}] * 51}, "specs", "too_many_specs"),
]


@pytest.mark.parametrize("change, field, code", BAD_PRODUCTS)
def test_creating_a_product_with_bad_input_names_the_field_and_writes_nothing(
        seller_client, store, category, change, field, code):
    response = seller_client.post("/api/seller/products", {**PRODUCT, **change}, content_type="application/json")

    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Product.objects.exists()
    assert not ProductSpec.objects.exists()


@pytest.mark.parametrize("change, field, code", BAD_PRODUCTS)
def test_updating_a_product_with_bad_input_changes_nothing(seller_client, store, category, change, field, code):
    product = ProductFactory(store=store, title="Keep me", price_minor=500, stock=4)
    ProductSpecFactory(product=product, name="Keep", value="me")

    response = seller_client.put(f"/api/seller/products/{product.id}", {**PRODUCT, **change},
                                 content_type="application/json")

    assert response.status_code == 422
    product.refresh_from_db()
    assert (product.title, product.price_minor, product.stock) == ("Keep me", 500, 4)
    assert list(product.specs.values_list("name", flat=True)) == ["Keep"]


def test_a_price_in_a_zero_decimal_currency_refuses_cents(db):
    user = UserFactory()
    client = logged_in(user)
    client.post("/api/seller/store", {"name": "Tokyo", "currency": "JPY", "ships_from": "JP"},
                content_type="application/json")

    refused = client.post("/api/seller/products", {**PRODUCT, "category": None, "price": "100.5"},
                          content_type="application/json")
    accepted = client.post("/api/seller/products", {**PRODUCT, "category": None, "price": "1500"},
                           content_type="application/json")

    assert refused.status_code == 422
    assert accepted.json()["price"] == {"amount": "1500", "currency": "JPY"}


def test_another_sellers_product_is_404_and_untouched(seller_client, rival_store):
    theirs = ProductFactory(store=rival_store, title="Theirs", stock=5)

    put = seller_client.put(f"/api/seller/products/{theirs.id}", PRODUCT, content_type="application/json")
    stock = seller_client.post(f"/api/seller/products/{theirs.id}/stock", {"stock": 0},
                               content_type="application/json")
    delta = seller_client.post(f"/api/seller/products/{theirs.id}/stock", {"delta": -5},
                               content_type="application/json")

    assert (put.status_code, stock.status_code, delta.status_code) == (404, 404, 404)
    theirs.refresh_from_db()
    assert (theirs.title, theirs.stock) == ("Theirs", 5)


def test_stock_can_be_set_or_adjusted(seller_client, store):
    product = ProductFactory(store=store, stock=5)
    url = f"/api/seller/products/{product.id}/stock"

    assert seller_client.post(url, {"stock": 12}, content_type="application/json").json() == {
        "product_id": product.id, "stock": 12}
    assert seller_client.post(url, {"delta": -4}, content_type="application/json").json()["stock"] == 8
    assert seller_client.post(url, {"delta": 2}, content_type="application/json").json()["stock"] == 10


@pytest.mark.parametrize("body, status, field, code", [
    ({"delta": -6}, 409, "delta", "stock_would_go_negative"),
    ({"stock": -1}, 422, "stock", "negative"),
    ({}, 422, "stock", "stock_or_delta"),
    ({"stock": 1, "delta": 1}, 422, "stock", "stock_or_delta"),
])
def test_stock_never_goes_negative_and_bad_input_changes_nothing(seller_client, store, body, status, field, code):
    product = ProductFactory(store=store, stock=5)

    response = seller_client.post(f"/api/seller/products/{product.id}/stock", body, content_type="application/json")

    assert response.status_code == status
    assert response.json()["errors"][0]["field"] == field
    if status == 409 or code == "stock_or_delta":
        assert response.json()["code"] == code
    product.refresh_from_db()
    assert product.stock == 5


OPTION = {"name": "Standard", "carrier": "Souk Post", "protection_days": 45, "rates": [
    {"country": "", "cost": "4.99", "min_days": 10, "max_days": 25},
    {"country": "us", "cost": "0", "min_days": 5, "max_days": 9},
]}


def test_seller_adds_a_shipping_option_with_rates_and_lists_it(seller_client, store):
    response = seller_client.post("/api/seller/shipping-options", OPTION, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    assert body["protection_days"] == 45
    assert [(r["country"], r["cost"]["amount"]) for r in body["rates"]] == [("", "4.99"), ("US", "0.00")]
    assert [o["id"] for o in seller_client.get("/api/seller/shipping-options").json()] == [body["id"]]


def test_put_replaces_an_options_rates(seller_client, store):
    option = ShippingOptionFactory(store=store)
    ShippingRateFactory.create_batch(1, option=option, country="DE")

    response = seller_client.put(f"/api/seller/shipping-options/{option.id}",
                                 {**OPTION, "rates": [{"country": "FR", "cost": "1.00", "min_days": 1, "max_days": 2}]},
                                 content_type="application/json")

    assert response.status_code == 200
    assert list(option.rates.values_list("country", "cost_minor")) == [("FR", 100)]


@pytest.mark.parametrize("rate, field, code", [
    ({"country": "ZZ"}, "rates.0.country", "unknown_country"),
    ({"cost": "-1"}, "rates.0.cost", "amount_not_positive"),
    ({"cost": "0.001"}, "rates.0.cost", "money_too_precise"),
    ({"min_days": 9, "max_days": 3}, "rates.0.max_days", "days_range"),
    ({"min_days": -1}, "rates.0.min_days", "negative"),
])
def test_bad_shipping_rates_name_the_field_and_write_nothing(seller_client, store, rate, field, code):
    body = {**OPTION, "rates": [{"country": "", "cost": "1.00", "min_days": 1, "max_days": 5, **rate}]}

    response = seller_client.post("/api/seller/shipping-options", body, content_type="application/json")

    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not ShippingOption.objects.exists()
    assert not ShippingRate.objects.exists()


def test_duplicate_country_rates_are_refused(seller_client, store):
    body = {**OPTION, "rates": [OPTION["rates"][1], {**OPTION["rates"][1], "country": "US"}]}

    response = seller_client.post("/api/seller/shipping-options", body, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "rates.1.country", "code": "duplicate_country",
                                            "message": "There is already a rate for US."}


def test_another_sellers_shipping_option_is_404_and_untouched(seller_client, rival_store):
    theirs = ShippingOptionFactory(store=rival_store, name="Theirs")

    response = seller_client.put(f"/api/seller/shipping-options/{theirs.id}", OPTION,
                                 content_type="application/json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert not theirs.rates.exists()
