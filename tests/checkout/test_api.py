"""The checkout API (POST /api/checkout): one order per store, the cart, errors keep their shape."""

from __future__ import annotations

from souk.catalog.models import Product
from souk.orders.models import CartItem, Order


def test_checkout_with_lines_returns_one_order_per_store(api, buyer, store_a, store_b):
    body = {"address_id": buyer.addresses.get().pk,
            "lines": [{"product_id": store_a[1].pk, "quantity": 2}, {"product_id": store_b[1].pk, "quantity": 1}],
            "shipping": {str(store_a[0].pk): store_a[2].pk, str(store_b[0].pk): store_b[2].pk}}
    res = api.post("/api/checkout", body, content_type="application/json")
    assert res.status_code == 201, res.json()
    orders = res.json()["orders"]
    assert [(o["store"]["name"], o["total"]) for o in orders] == [
        ("Alpha Gadgets", {"amount": "42.97", "currency": "USD"}),
        ("Beta Books", {"amount": "12.50", "currency": "EUR"})]
    assert orders[0]["lines"][0]["specs"] == [["Colour", "Red"]]
    assert orders[0]["events"][0]["kind"] == "order_placed"
    assert orders[0]["deadlines"]["pay_by"] is not None


def test_checkout_without_lines_checks_out_the_cart(api, buyer, store_a):
    api.post("/api/cart", {"product_id": store_a[1].pk, "quantity": 2}, content_type="application/json")
    res = api.post("/api/checkout", {"address_id": buyer.addresses.get().pk,
                                     "shipping": {str(store_a[0].pk): store_a[2].pk}}, content_type="application/json")
    assert res.status_code == 201
    assert res.json()["orders"][0]["item_count"] == 2
    assert not CartItem.objects.exists()


def test_a_bad_checkout_answers_422_naming_the_field(api, buyer, store_a):
    res = api.post("/api/checkout", {"address_id": buyer.addresses.get().pk,
                                     "lines": [{"product_id": store_a[1].pk, "quantity": 0}],
                                     "shipping": {str(store_a[0].pk): store_a[2].pk}},
                   content_type="application/json")
    assert res.status_code == 422
    assert res.json()["errors"] == [{"field": "lines[0].quantity", "code": "invalid_quantity",
                                     "message": "Quantity must be between 1 and 999."}]
    assert Order.objects.count() == 0


def test_an_out_of_stock_checkout_answers_409(api, buyer, store_a):
    Product.objects.filter(pk=store_a[1].pk).update(stock=1)
    res = api.post("/api/checkout", {"address_id": buyer.addresses.get().pk,
                                     "lines": [{"product_id": store_a[1].pk, "quantity": 2}],
                                     "shipping": {str(store_a[0].pk): store_a[2].pk}},
                   content_type="application/json")
    assert (res.status_code, res.json()["code"], res.json()["errors"][0]["field"]) == (
        409, "out_of_stock", "lines[0].quantity")


def test_someone_elses_address_answers_404(api, other_buyer, store_a):
    res = api.post("/api/checkout", {"address_id": other_buyer.addresses.get().pk,
                                     "lines": [{"product_id": store_a[1].pk, "quantity": 1}],
                                     "shipping": {str(store_a[0].pk): store_a[2].pk}},
                   content_type="application/json")
    assert res.status_code == 404
