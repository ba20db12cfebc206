"""Stock honesty: low-stock warnings once per crossing, no sale at zero stock, and the hit an out-of-stock
cancellation makes to the store's cancellation rate, shown before the seller confirms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from souk.cancellations.services import order_cancel_by_seller, order_cancel_by_staff
from souk.catalog.models import Product
from souk.checkout.services import CheckoutLine, checkout
from souk.compliance.models import LowStockAlert
from souk.compliance.services import low_stock_sweep
from souk.core.errors import Conflict, DomainError
from souk.notifications.models import Notification
from souk.orders.cart import cart_add
from souk.orders.models import Order
from souk.reputation.stats import rebuild_stats
from tests.factories import ProductFactory, StoreFactory
from tests.ledger.audit import assert_audit_clean


def test_seller_sees_listed_products_below_the_threshold_emptiest_first(api, seller, shop):
    store, gadget, cable, option = shop
    Product.objects.filter(pk=gadget.pk).update(stock=4)
    Product.objects.filter(pk=cable.pk).update(stock=0)
    ProductFactory(store=store, stock=5)                    # at the threshold: fine
    ProductFactory(store=store, stock=1, is_active=False)   # not listed
    ProductFactory(stock=0)                                 # another store's

    body = api(seller).get("/seller/low-stock-products").json()

    assert body["threshold"] == 5
    assert [(p["id"], p["stock"]) for p in body["products"]] == [(cable.pk, 0), (gadget.pk, 4)]


def test_low_stock_for_a_buyer_without_a_store_is_403(api, buyer):
    response = api(buyer).get("/seller/low-stock-products")
    assert response.status_code == 403 and response.json()["code"] == "not_a_seller"


def test_the_seller_is_warned_once_per_crossing_and_again_after_restocking(seller, shop, place_order, settings):
    store, gadget, cable, option = shop
    Product.objects.filter(pk=gadget.pk).update(stock=7)
    place_order(gadgets=3)                                  # 7 -> 4: crosses the threshold of 5

    assert low_stock_sweep() == 1
    note = Notification.objects.get(recipient=seller, kind="low_stock")
    assert "“Power bank”: 4 left" in note.body
    assert low_stock_sweep() == 0                           # once per crossing
    place_order(gadgets=1)                                  # 4 -> 3: still the same crossing
    assert low_stock_sweep() == 0

    Product.objects.filter(pk=gadget.pk).update(stock=20)   # restocked: the alert clears
    assert low_stock_sweep() == 0
    assert LowStockAlert.objects.get().cleared_at is not None
    Product.objects.filter(pk=gadget.pk).update(stock=2)    # drops again: warned again
    assert low_stock_sweep() == 1
    assert Notification.objects.filter(recipient=seller, kind="low_stock").count() == 2
    assert LowStockAlert.objects.filter(cleared_at__isnull=True).count() == 1


def test_the_sweep_is_registered_for_the_worker():
    from souk.core.sweeps import registered_sweeps

    names = {s.name for s in registered_sweeps()}
    assert {"low_stock_alerts", "address_fix_expired"} <= names


def test_a_product_at_zero_stock_cannot_be_bought(buyer, shop):
    store, gadget, cable, option = shop
    Product.objects.filter(pk=gadget.pk).update(stock=0)
    with pytest.raises(Conflict) as caught:
        checkout(buyer=buyer, address_id=buyer.addresses.first().pk, lines=[CheckoutLine(gadget.pk, 1)],
                 shipping={store.pk: option.pk})
    assert caught.value.code == "out_of_stock" and caught.value.errors[0].field == "lines[0].quantity"
    with pytest.raises(DomainError) as caught:
        cart_add(buyer=buyer, product_id=gadget.pk, quantity=1)
    assert caught.value.code == "insufficient_stock"
    assert not Order.objects.exists()
    assert Product.objects.get(pk=gadget.pk).stock == 0


def test_out_of_stock_preview_shows_the_rate_now_and_after(api, seller, staff, buyer, place_order):
    now = timezone.now()
    seller_cancelled = place_order()
    order_cancel_by_seller(seller=seller, order_id=seller_cancelled.pk, reason="out_of_stock")
    Product.objects.filter(store__owner=seller).update(stock=50)  # the listing showed 0: the seller restocks
    platform_cancelled = place_order()
    order_cancel_by_staff(staff=staff, order_id=platform_cancelled.pk, reason="customs_restriction")
    target = place_order()
    place_order()                                           # paid, going on
    place_order(paid=False)                                 # unpaid: not an order the seller could fulfil
    old = place_order()                                     # placed 91 days ago: outside the window
    order_cancel_by_seller(seller=seller, order_id=old.pk, reason="out_of_stock")
    Product.objects.filter(store__owner=seller).update(stock=50)
    Order.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=91))
    edge = place_order()                                    # 89 days ago: inside
    Order.objects.filter(pk=edge.pk).update(created_at=now - timedelta(days=89))
    rebuild_stats()                                         # the reputation stats sweep has caught up

    response = api(seller).get(f"/seller/orders/{target.number}/out-of-stock-preview")

    assert response.status_code == 200, response.content
    body = response.json()
    # In the window: 5 paid orders (seller_cancelled, platform_cancelled, target, going on, edge);
    # seller-fault: 1 now (20.0 %), 2 after cancelling the target (40.0 %).
    assert (body["orders"], body["cancelled_now"], body["cancelled_after"]) == (5, 1, 2)
    assert (body["rate_now"], body["rate_after"]) == (20.0, 40.0)
    assert body["allowed"] is True and body["window_days"] == 90
    assert body["source"] == "reputation.store_metrics"
    # Previewing an order that cannot be cancelled any more changes nothing.
    again = api(seller).get(f"/seller/orders/{seller_cancelled.number}/out-of-stock-preview").json()
    assert again["allowed"] is False and again["rate_after"] == again["rate_now"] == 20.0
    assert_audit_clean()


def test_out_of_stock_preview_of_another_stores_order_is_404(api, place_order):
    order = place_order()
    other = StoreFactory().owner
    assert api(other).get(f"/seller/orders/{order.number}/out-of-stock-preview").status_code == 404


def test_out_of_stock_preview_of_a_new_stores_first_order(api, seller, place_order):
    order = place_order()
    body = api(seller).get(f"/seller/orders/{order.number}/out-of-stock-preview").json()
    # Nothing measured yet: no published rate; cancelling the one order would make it 100 %.
    assert (body["rate_now"], body["cancelled_after"], body["rate_after"]) == (None, 1, 100.0)
