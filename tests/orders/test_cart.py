"""The cart: add on top, update, remove; stock and availability checked when adding."""

from __future__ import annotations

import pytest

from souk.catalog.models import Product
from souk.core.errors import NotFound, ValidationFailed
from souk.orders.models import CartItem
from souk.orders.selectors import cart_for_buyer
from souk.orders.services import cart_add, cart_remove, cart_update


def test_adding_the_same_product_twice_adds_to_its_quantity(buyer, store_a):
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=2)
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=3)
    assert CartItem.objects.get(buyer=buyer).quantity == 5


def test_the_cart_is_grouped_by_store_with_subtotals(buyer, store_a, store_b):
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=2)
    cart_add(buyer=buyer, product_id=store_b[1].pk, quantity=1)
    cart = cart_for_buyer(buyer=buyer)
    assert [(s.store_name, s.subtotal_display) for s in cart.stores] == [("Alpha Gadgets", "$39.98"),
                                                                        ("Beta Books", "€12.50")]
    assert cart.item_count == 3


def test_more_than_is_in_stock_cannot_be_added(buyer, store_a):
    Product.objects.filter(pk=store_a[1].pk).update(stock=3)
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=2)
    with pytest.raises(ValidationFailed) as err:
        cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=2)
    assert (err.value.field, err.value.code) == ("quantity", "insufficient_stock")
    assert CartItem.objects.get(buyer=buyer).quantity == 2


def test_an_inactive_product_cannot_be_added(buyer, store_a):
    Product.objects.filter(pk=store_a[1].pk).update(is_active=False)
    with pytest.raises(ValidationFailed) as err:
        cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=1)
    assert (err.value.field, err.value.code) == ("product_id", "product_unavailable")
    assert not CartItem.objects.exists()


@pytest.mark.parametrize("quantity", [0, -1, 1000])
def test_a_nonsense_quantity_is_refused(buyer, store_a, quantity):
    with pytest.raises(ValidationFailed) as err:
        cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=quantity)
    assert err.value.field == "quantity"
    assert not CartItem.objects.exists()


def test_updating_sets_the_quantity_and_zero_removes_the_line(buyer, store_a):
    cart_add(buyer=buyer, product_id=store_a[1].pk, quantity=2)
    cart_update(buyer=buyer, product_id=store_a[1].pk, quantity=7)
    assert CartItem.objects.get(buyer=buyer).quantity == 7
    cart_update(buyer=buyer, product_id=store_a[1].pk, quantity=0)
    assert not CartItem.objects.exists()


def test_removing_a_product_that_is_not_in_the_cart_is_not_found(buyer, other_buyer, store_a):
    cart_add(buyer=other_buyer, product_id=store_a[1].pk, quantity=1)
    with pytest.raises(NotFound):
        cart_remove(buyer=buyer, product_id=store_a[1].pk)
    with pytest.raises(NotFound):
        cart_update(buyer=buyer, product_id=store_a[1].pk, quantity=2)
    assert CartItem.objects.get(buyer=other_buyer).quantity == 1
    cart_remove(buyer=other_buyer, product_id=store_a[1].pk)
    assert not CartItem.objects.exists()
