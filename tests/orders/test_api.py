"""The orders API: cart, My Orders, order details, seller shipping; errors keep their shape. (Checkout:
tests/checkout/test_api.py.)"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from souk.orders.models import Order
from tests.orders.conftest import pay, place


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def api(buyer):
    return client_for(buyer)


def test_the_api_needs_a_login(db):
    assert Client().get("/api/orders").status_code == 401


def test_the_cart_adds_updates_and_removes_through_the_api(api, store_a):
    pid = store_a[1].pk
    res = api.post("/api/cart", {"product_id": pid, "quantity": 2}, content_type="application/json")
    assert res.status_code == 201
    assert res.json()["stores"][0]["lines"][0]["line_total"] == {"amount": "39.98", "currency": "USD"}
    res = api.put(f"/api/cart/items/{pid}", {"quantity": 500}, content_type="application/json")
    assert (res.status_code, res.json()["errors"][0]["field"]) == (422, "quantity")
    assert api.put(f"/api/cart/items/{pid}", {"quantity": 3}, content_type="application/json").json()["item_count"] == 3
    assert api.delete(f"/api/cart/items/{pid}").status_code == 204
    assert api.get("/api/cart").json() == {"stores": [], "item_count": 0}
    assert api.delete(f"/api/cart/items/{pid}").status_code == 404


def test_my_orders_lists_and_pages_with_a_cursor(api, buyer, store_a):
    orders = [place(buyer, (store_a[1], 1))[0] for _ in range(3)]
    first = api.get("/api/orders?limit=2").json()
    assert [o["number"] for o in first["items"]] == [orders[2].number, orders[1].number]
    second = api.get(f"/api/orders?limit=2&cursor={first['next_cursor']}").json()
    assert ([o["number"] for o in second["items"]], second["next_cursor"]) == ([orders[0].number], None)
    assert api.get("/api/orders?cursor=garbage").status_code == 422
    assert api.get("/api/orders?limit=101").status_code == 422


def test_my_orders_costs_the_same_queries_for_five_or_fifty_orders(api, buyer, store_a):
    for _ in range(50):
        place(buyer, (store_a[1], 1))
    counts = []
    for limit in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            res = api.get(f"/api/orders?limit={limit}")
        assert len(res.json()["items"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_order_details_and_confirm_receipt(api, buyer, store_a):
    order = place(buyer, (store_a[1], 1))[0]
    assert api.post(f"/api/orders/{order.number}/confirm-receipt").status_code == 409
    pay(order)
    seller = client_for(store_a[0].owner)
    res = seller.post(f"/api/seller/orders/{order.number}/ship", {"carrier": "DHL", "tracking_number": "JD-1"},
                      content_type="application/json")
    assert res.status_code == 200 and res.json()["shipping"]["tracking_number"] == "JD-1"
    res = api.post(f"/api/orders/{order.number}/confirm-receipt")
    assert (res.status_code, res.json()["status"]) == (200, "completed")
    detail = api.get(f"/api/orders/{order.number}").json()
    assert [e["kind"] for e in detail["events"]] == ["order_placed", "pay", "ship", "confirm_receipt"]
    assert detail["shipping_address"]["city"] == "Mountain View"


def test_another_users_order_answers_404_everywhere(buyer, other_buyer, store_a, store_b):
    order = place(buyer, (store_a[1], 1))[0]
    pay(order)
    stranger = client_for(other_buyer)
    assert stranger.get(f"/api/orders/{order.number}").status_code == 404
    assert stranger.post(f"/api/orders/{order.number}/confirm-receipt").status_code == 404
    other_seller = client_for(store_b[0].owner)
    assert other_seller.get(f"/api/seller/orders/{order.number}").status_code == 404
    res = other_seller.post(f"/api/seller/orders/{order.number}/ship", {"carrier": "DHL", "tracking_number": "X"},
                            content_type="application/json")
    assert res.status_code == 404
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"


def test_the_seller_lists_their_store_orders_and_ships_only_when_allowed(buyer, store_a):
    order = place(buyer, (store_a[1], 1))[0]
    seller = client_for(store_a[0].owner)
    assert [o["number"] for o in seller.get("/api/seller/orders").json()["items"]] == [order.number]
    res = seller.post(f"/api/seller/orders/{order.number}/ship", {"carrier": "DHL", "tracking_number": "X"},
                      content_type="application/json")
    assert (res.status_code, res.json()["code"]) == (409, "transition_not_allowed")
    pay(order)
    res = seller.post(f"/api/seller/orders/{order.number}/ship", {"carrier": "DHL", "tracking_number": "a b"},
                      content_type="application/json")
    assert (res.status_code, res.json()["errors"][0]["field"]) == (422, "tracking_number")
