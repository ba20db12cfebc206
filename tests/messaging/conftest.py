from __future__ import annotations

import pytest

from souk.checkout.services import CheckoutLine, checkout


@pytest.fixture
def order(buyer, product):
    """An order `buyer` placed from `product`'s store (the seller is `order.store.owner`)."""
    option = product.store.shipping_options.first()
    address = buyer.addresses.first()
    return checkout(buyer=buyer, address_id=address.pk, lines=[CheckoutLine(product.pk, 1)],
                    shipping={product.store_id: option.pk})[0]


@pytest.fixture
def seller(order):
    return order.store.owner
