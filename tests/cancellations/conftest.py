from __future__ import annotations

import itertools

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from souk.orders.checkout import CheckoutLine, checkout
from souk.payments.services import order_pay
from tests.factories import (
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)

_keys = itertools.count(1)


@pytest.fixture
def shop(db):
    """A store selling a $20.00 gadget and a $5.00 cable (50 of each), shipping $3.00."""
    store = StoreFactory(currency="USD")
    gadget = ProductFactory(store=store, price_minor=2000, stock=50)
    cable = ProductFactory(store=store, price_minor=500, stock=50)
    option = ShippingOptionFactory(store=store)
    ShippingRateFactory(option=option, cost_minor=300)
    return store, gadget, cable, option


@pytest.fixture
def seller(shop):
    return shop[0].owner


@pytest.fixture
def other_seller(db):
    return StoreFactory(currency="USD").owner


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@example.com", is_staff=True)


@pytest.fixture
def place_order(buyer, shop):
    store, gadget, cable, option = shop

    def place(gadgets: int = 1, cables: int = 0, *, paid: bool = False):
        lines = [CheckoutLine(gadget.pk, gadgets)] + ([CheckoutLine(cable.pk, cables)] if cables else [])
        [order] = checkout(buyer=buyer, address_id=buyer.addresses.first().pk, lines=lines,
                           shipping={store.pk: option.pk})
        if paid:
            order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa",
                      idempotency_key=f"pay-{next(_keys)}")
            order.refresh_from_db()
        return order

    return place


class Api:
    def __init__(self, user):
        _, raw = token_create(user=user, name="test")
        self.client = Client()
        self.auth = {"Authorization": f"Bearer {raw}"}

    def post(self, path, body=None, key=None):
        headers = dict(self.auth)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(f"/api{path}", data=body or {}, content_type="application/json", headers=headers)

    def get(self, path):
        return self.client.get(f"/api{path}", headers=self.auth)
