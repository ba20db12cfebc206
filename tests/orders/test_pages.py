"""The pages a buyer and a seller click through, without JavaScript."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from souk.catalog.models import Product
from souk.orders.models import CartItem, Order
from souk.orders.services import cart_add
from tests.orders.conftest import pay, place


@pytest.fixture
def browser(buyer):
    client = Client()
    client.force_login(buyer)
    return client


def test_pages_need_a_login(db):
    res = Client().get(reverse("orders:my_orders"))
    assert res.status_code == 302 and "login" in res["Location"]


def test_adding_from_the_product_page_lands_in_the_cart(browser, store_a):
    res = browser.post(reverse("orders:cart_add"), {"product_id": store_a[1].pk, "quantity": "2"}, follow=True)
    assert res.redirect_chain[-1][0] == reverse("orders:cart")
    assert "Added to your cart." in res.content.decode()
    assert store_a[1].title in res.content.decode() and "$39.98" in res.content.decode()


def test_a_bad_quantity_in_the_cart_is_shown_next_to_the_field(browser, buyer, store_a):
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=1)
    res = browser.post(reverse("orders:cart_update", args=[store_a[1].pk]), {"quantity": "5000"})
    html = res.content.decode()
    assert res.status_code == 422
    assert 'aria-invalid="true"' in html and "field-error" in html and "Quantity must be between" in html
    assert CartItem.objects.get().quantity == 1
    browser.post(reverse("orders:cart_remove", args=[store_a[1].pk]))
    assert not CartItem.objects.exists()


def test_checkout_page_offers_each_stores_shipping_and_places_the_orders(browser, buyer, store_a, store_b):
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=1)
    cart_add(buyer=buyer, product_id=store_b[1].pk, quantity=2)
    page = browser.get(reverse("orders:checkout")).content.decode()
    assert "Alpha Gadgets Standard" in page and "$2.99" in page and "Free shipping" in page and "7–15 days" in page
    res = browser.post(reverse("orders:checkout"), {
        "address_id": buyer.addresses.get().pk,
        f"shipping_{store_a[0].pk}": store_a[2].pk, f"shipping_{store_b[0].pk}": store_b[2].pk}, follow=True)
    assert res.redirect_chain[-1][0] == reverse("orders:my_orders")
    assert "2 orders placed, one per store" in res.content.decode()
    assert Order.objects.filter(buyer=buyer).count() == 2


def test_a_missing_shipping_choice_is_shown_inline_and_nothing_is_placed(browser, buyer, store_a):
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=1)
    res = browser.post(reverse("orders:checkout"), {"address_id": buyer.addresses.get().pk})
    assert res.status_code == 422
    assert "Choose how Alpha Gadgets ships your order." in res.content.decode()
    assert not Order.objects.exists() and CartItem.objects.exists()


def test_my_orders_has_status_tabs_search_and_a_next_page(browser, buyer, store_a, settings):
    settings.SOUK = {**settings.SOUK, "ORDERS_PAGE_SIZE": 2}
    orders = [place(buyer, (store_a[1], 1))[0] for _ in range(3)]
    pay(orders[0])
    html = browser.get(reverse("orders:my_orders")).content.decode()
    assert "Awaiting cancellation" in html and "Next page" in html
    assert orders[2].display_number in html and orders[0].display_number not in html
    html = browser.get(reverse("orders:my_orders"), {"status": "awaiting_shipment"}).content.decode()
    assert orders[0].display_number in html and orders[1].display_number not in html
    html = browser.get(reverse("orders:my_orders"), {"q": orders[1].number}).content.decode()
    assert orders[1].display_number in html and orders[2].display_number not in html


def test_my_orders_page_costs_the_same_queries_for_five_or_fifty_orders(browser, buyer, store_a, settings):
    for _ in range(50):
        place(buyer, (store_a[1], 1))
    counts = []
    for size in (5, 50):
        settings.SOUK = {**settings.SOUK, "ORDERS_PAGE_SIZE": size}
        with CaptureQueriesContext(connection) as ctx:
            res = browser.get(reverse("orders:my_orders"))
        assert res.content.decode().count('class="card"') == size + 1  # + the search form
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_order_page_shows_what_was_bought_and_lets_the_buyer_confirm_receipt(browser, buyer, store_a):
    order = place(buyer, (store_a[1], 2))[0]
    Product.objects.filter(pk=store_a[1].pk).update(title="Renamed later")
    pay(order)
    seller = Client()
    seller.force_login(store_a[0].owner)
    res = seller.post(reverse("orders:seller_order_detail", args=[order.number]), {"carrier": "DHL",
                                                                                   "tracking_number": "JD-99"})
    assert res.status_code == 302
    html = browser.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    for text in (order.display_number, "Awaiting delivery", "Alpha Gadgets", store_a[1].title, "Colour: Red",
                 "$39.98", "$42.97", "1600 Amphitheatre Pkwy", "Estimated delivery", "JD-99", "Shipped",
                 "Confirm receipt"):
        assert text in html, text
    assert "Renamed later" not in html
    res = browser.post(reverse("orders:confirm_receipt", args=[order.number]), follow=True)
    assert "Completed" in res.content.decode()
    assert Order.objects.get(pk=order.pk).status == "completed"


def test_another_users_order_pages_are_404(buyer, other_buyer, store_a, store_b):
    order = place(buyer, (store_a[1], 1))[0]
    stranger = Client()
    stranger.force_login(other_buyer)
    assert stranger.get(reverse("orders:order_detail", args=[order.number])).status_code == 404
    assert stranger.post(reverse("orders:confirm_receipt", args=[order.number])).status_code == 404
    other_seller = Client()
    other_seller.force_login(store_b[0].owner)
    assert other_seller.get(reverse("orders:seller_order_detail", args=[order.number])).status_code == 404


def test_the_seller_sees_their_orders_and_a_bad_tracking_number_is_shown_inline(buyer, store_a):
    order = place(buyer, (store_a[1], 1))[0]
    pay(order)
    seller = Client()
    seller.force_login(store_a[0].owner)
    assert order.display_number in seller.get(reverse("orders:seller_orders")).content.decode()
    res = seller.post(reverse("orders:seller_order_detail", args=[order.number]),
                      {"carrier": "DHL", "tracking_number": "<b>bad</b>"})
    html = res.content.decode()
    assert res.status_code == 422
    assert 'aria-invalid="true"' in html and "letters, digits and dashes" in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html and "<b>bad</b>" not in html
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"


def test_staff_find_an_order_in_the_admin_with_its_lines_and_timeline(buyer, store_a):
    from tests.factories import UserFactory

    order = place(buyer, (store_a[1], 1))[0]
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    listing = client.get(reverse("admin:orders_order_changelist"), {"q": "buyer@example.com"}).content.decode()
    assert order.number in listing and "$22.98" in listing
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert store_a[1].title in page and "order_placed" in page
    assert client.get(reverse("admin:orders_cartitem_changelist")).status_code == 200


def test_checkout_page_gives_each_option_a_delivery_date_range_to_the_buyers_country(client, buyer, store_a):
    from datetime import timedelta

    from django.utils import timezone

    store, product, option = store_a
    client.force_login(buyer)
    client.post("/orders/cart/add/", {"product_id": product.pk, "quantity": 1})
    page = client.get("/orders/checkout/").content.decode()
    today = timezone.localdate()
    earliest, latest = today + timedelta(days=7), today + timedelta(days=store.handling_days + 15)
    assert f"arrives {earliest:%b} {earliest.day} – {latest:%b} {latest.day} if paid today" in page
