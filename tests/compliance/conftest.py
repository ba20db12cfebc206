from __future__ import annotations

import itertools

import pytest

from souk.checkout.services import CheckoutLine, checkout
from souk.payments.services import order_pay
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)
from tests.support import Api

_keys = itertools.count(1)


@pytest.fixture
def shop(db):
    """A store selling a $20.00 power bank (category batteries) and a $5.00 cable, shipping $3.00 anywhere."""
    store = StoreFactory(currency="USD")
    batteries = CategoryFactory(name="Batteries", slug="batteries")
    gadget = ProductFactory(store=store, price_minor=2000, stock=50, category=batteries, title="Power bank")
    cable = ProductFactory(store=store, price_minor=500, stock=50, title="USB cable")
    option = ShippingOptionFactory(store=store)
    ShippingRateFactory(option=option, cost_minor=300)
    return store, gadget, cable, option


@pytest.fixture
def seller(shop):
    return shop[0].owner


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@example.com", is_staff=True)


@pytest.fixture
def place_order(buyer, shop):
    """Orders go through checkout (and payment) like real ones; the buyer's address is in the US."""
    store, gadget, cable, option = shop

    def place(gadgets: int = 1, cables: int = 0, *, paid: bool = True, who=None):
        who = who or buyer
        lines = ([CheckoutLine(gadget.pk, gadgets)] if gadgets else []) + (
            [CheckoutLine(cable.pk, cables)] if cables else [])
        [order] = checkout(buyer=who, address_id=who.addresses.first().pk, lines=lines,
                           shipping={store.pk: option.pk})
        if paid:
            order_pay(buyer=who, order_id=order.pk, method="card", token="tok_visa",
                      idempotency_key=f"pay-{next(_keys)}")
            order.refresh_from_db()
        return order

    return place


@pytest.fixture
def api():
    return Api


def fields(response) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]
