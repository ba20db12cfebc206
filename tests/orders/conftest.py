from __future__ import annotations

import pytest
from django.db import transaction

from souk.checkout.services import CheckoutLine, checkout
from souk.orders.services import lock_order, transition
from souk.orders.status import Action
from tests.factories import (
    ProductFactory,
    ProductSpecFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
)


def shop(*, currency="USD", handling_days=5, price=1999, stock=100, rate=299, country="", **store_kw):
    """A store with one product (with a spec) and one shipping option with a rate."""
    store = StoreFactory(currency=currency, handling_days=handling_days, **store_kw)
    product = ProductFactory(store=store, price_minor=price, stock=stock)
    ProductSpecFactory(product=product, name="Colour", value="Red")
    option = ShippingOptionFactory(store=store, name=f"{store.name} Standard", protection_days=45)
    ShippingRateFactory(option=option, country=country, cost_minor=rate, min_days=7, max_days=15)
    return store, product, option


def place(buyer, *products_and_qty, options=None, now=None):
    """Check out (product, quantity) pairs, choosing each store's first option unless given."""
    lines = [CheckoutLine(product_id=p.pk, quantity=q) for p, q in products_and_qty]
    shipping = options or {p.store_id: p.store.shipping_options.first().pk for p, _ in products_and_qty}
    return checkout(buyer=buyer, address_id=buyer.addresses.first().pk, lines=lines, shipping=shipping, now=now)


def pay(order):
    with transaction.atomic():
        locked = lock_order(order_id=order.pk)
        return transition(order=locked, action=Action.PAY, actor=None, actor_role="system")


@pytest.fixture
def store_a(db):
    return shop(name="Alpha Gadgets")


@pytest.fixture
def store_b(db):
    return shop(name="Beta Books", currency="EUR", price=1250, rate=0, handling_days=3)
