"""Public catalog API: browsing needs no account."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ProductSpecFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db


def test_product_list_pages_newest_first_with_a_cursor(client):
    products = ProductFactory.create_batch(5)

    first = client.get("/api/products", {"limit": 2}).json()
    second = client.get("/api/products", {"limit": 2, "cursor": first["next_cursor"]}).json()
    last = client.get("/api/products", {"limit": 2, "cursor": second["next_cursor"]}).json()

    ids = [p.id for p in reversed(products)]
    assert [i["id"] for i in first["items"]] == ids[:2]
    assert [i["id"] for i in second["items"]] == ids[2:4]
    assert [i["id"] for i in last["items"]] == ids[4:]
    assert last["next_cursor"] is None


def test_product_list_item_shows_price_as_exact_decimal_string_and_store(client):
    ProductFactory(title="Desk lamp", price_minor=1250, store=StoreFactory(name="Lamps", slug="lamps"))

    (item,) = client.get("/api/products").json()["items"]

    assert item["title"] == "Desk lamp"
    assert item["price"] == {"amount": "12.50", "currency": "USD"}
    assert item["store"]["slug"] == "lamps"


def test_product_list_filters_by_search_category_and_store(client):
    lamps = CategoryFactory(name="Lamps", slug="lamps")
    shop = StoreFactory(slug="bright")
    ProductFactory(title="Red desk lamp", category=lamps, store=shop)
    ProductFactory(title="Blue desk lamp", category=lamps)
    ProductFactory(title="Red chair")

    def titles(**params):
        return sorted(i["title"] for i in client.get("/api/products", params).json()["items"])

    assert titles(q="red") == ["Red chair", "Red desk lamp"]
    assert titles(category="lamps") == ["Blue desk lamp", "Red desk lamp"]
    assert titles(store="bright") == ["Red desk lamp"]
    assert titles(q="red", category="lamps") == ["Red desk lamp"]


def test_inactive_products_and_closed_stores_are_not_listed(client):
    ProductFactory(title="Visible")
    ProductFactory(title="Withdrawn", is_active=False)
    ProductFactory(title="Closed shop", store=StoreFactory(is_active=False))

    assert [i["title"] for i in client.get("/api/products").json()["items"]] == ["Visible"]


def _count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_product_list_costs_the_same_queries_for_5_or_50_products(client):
    ProductFactory.create_batch(5, category=CategoryFactory())
    few = _count_queries(client, "/api/products", {"limit": 100})
    ProductFactory.create_batch(45, store=StoreFactory())
    many = _count_queries(client, "/api/products", {"limit": 100})

    assert few == many == 1


@pytest.mark.parametrize("params, field", [
    ({"cursor": "abc"}, "cursor"),
    ({"cursor": "-5"}, "cursor"),
    ({"cursor": str(2**70)}, "cursor"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"q": "nul\x00byte"}, "q"),
])
def test_product_list_refuses_bad_paging_input_naming_the_field(client, params, field):
    response = client.get("/api/products", params)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.fixture
def detailed_product():
    store = StoreFactory(name="Lamp House", slug="lamp-house", handling_days=2, ships_from="CN")
    product = ProductFactory(store=store, title="Desk lamp", price_minor=1250, stock=3,
                             category=CategoryFactory(name="Lamps", slug="lamps"),
                             length_mm=300, width_mm=150, height_mm=120, weight_g=900)
    ProductSpecFactory(product=product, name="Colour", value="Black", position=1)
    ProductSpecFactory(product=product, name="Material", value="Steel", position=0)
    option = ShippingOptionFactory(store=store, name="Standard", protection_days=60)
    ShippingRateFactory(option=option, country="", cost_minor=299, min_days=10, max_days=20)
    ShippingRateFactory(option=option, country="US", cost_minor=0, min_days=5, max_days=8)
    ShippingRateFactory(option=ShippingOptionFactory(store=store, name="Retired", is_active=False))
    return product


def test_product_detail_has_specs_dimensions_store_and_shipping_options(client, detailed_product):
    body = client.get(f"/api/products/{detailed_product.id}").json()

    assert body["price"] == {"amount": "12.50", "currency": "USD"}
    assert body["stock"] == 3 and body["in_stock"] is True
    assert body["category"]["slug"] == "lamps"
    assert body["specs"] == [{"name": "Material", "value": "Steel"}, {"name": "Colour", "value": "Black"}]
    assert body["dimensions"] == {"length_mm": 300, "width_mm": 150, "height_mm": 120, "weight_g": 900}
    assert body["store"] == {"slug": "lamp-house", "name": "Lamp House", "ships_from": "CN", "handling_days": 2}
    (option,) = body["shipping_options"]
    assert option["name"] == "Standard"
    assert option["rates"] == [
        {"country": "", "cost": {"amount": "2.99", "currency": "USD"}, "min_days": 10, "max_days": 20},
        {"country": "US", "cost": {"amount": "0.00", "currency": "USD"}, "min_days": 5, "max_days": 8},
    ]
    assert body["shipping_quotes"] is None


def test_product_detail_with_country_quotes_cost_and_delivery_dates(client, detailed_product):
    today = timezone.localdate()

    body = client.get(f"/api/products/{detailed_product.id}", {"country": "US"}).json()

    (quote,) = body["shipping_quotes"]
    assert quote["rate_country"] == "US"
    assert quote["cost"] == {"amount": "0.00", "currency": "USD"}
    assert quote["earliest_delivery"] == (today + dt.timedelta(days=5)).isoformat()
    assert quote["latest_delivery"] == (today + dt.timedelta(days=2 + 8)).isoformat()


def test_product_detail_with_unknown_country_is_refused(client, detailed_product):
    response = client.get(f"/api/products/{detailed_product.id}", {"country": "ZZ"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "country"


def test_product_detail_costs_constant_queries_whatever_the_specs_and_rates(client, detailed_product):
    few = _count_queries(client, f"/api/products/{detailed_product.id}", {"country": "US"})
    ProductSpecFactory.create_batch(20, product=detailed_product)
    for _ in range(5):
        ShippingRateFactory(option=ShippingOptionFactory(store=detailed_product.store), country="")
    many = _count_queries(client, f"/api/products/{detailed_product.id}", {"country": "US"})

    assert few == many


def test_missing_or_withdrawn_product_is_404(client):
    withdrawn = ProductFactory(is_active=False)

    assert client.get(f"/api/products/{withdrawn.id}").status_code == 404
    assert client.get("/api/products/999999").status_code == 404
    assert client.get("/api/products/0").status_code == 422


def test_store_page_and_unknown_store(client):
    StoreFactory(name="Lamp House", slug="lamp-house", description="Lamps since 1999", currency="EUR")

    body = client.get("/api/stores/lamp-house").json()

    assert body["name"] == "Lamp House"
    assert body["currency"] == "EUR"
    assert body["description"] == "Lamps since 1999"
    assert client.get("/api/stores/nope").status_code == 404


def test_categories_list_with_parents(client):
    home = CategoryFactory(name="Home", slug="home")
    CategoryFactory(name="Lamps", slug="lamps", parent=home)

    body = client.get("/api/categories").json()

    assert {c["slug"]: c["parent_slug"] for c in body} == {"home": None, "lamps": "home"}
