from __future__ import annotations

import itertools

import pytest

from souk.checkout.services import CheckoutLine, checkout
from tests.factories import ProductFactory, ShippingOptionFactory, ShippingRateFactory, StoreFactory

_keys = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """`long`-marked tests (many seeds) run only when selected: `-m long`."""
    if "long" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="long run: select it with -m long")
    for item in items:
        if item.get_closest_marker("long"):
            item.add_marker(skip)


def new_key(prefix: str = "key") -> str:
    return f"{prefix}-{next(_keys)}"


@pytest.fixture
def settle_now(settings):
    """Sandbox refunds settle as soon as they are polled."""
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 0}


@pytest.fixture
def shop(db):
    """A store selling a $20.00 gadget and a $5.00 cable, shipping $3.00."""
    store = StoreFactory(currency="USD")
    gadget = ProductFactory(store=store, price_minor=2000, stock=50)
    cable = ProductFactory(store=store, price_minor=500, stock=50)
    option = ShippingOptionFactory(store=store)
    ShippingRateFactory(option=option, cost_minor=300)
    return store, gadget, cable, option


@pytest.fixture
def place_order(buyer, shop):
    store, gadget, cable, option = shop

    def place(gadgets: int = 1, cables: int = 0):
        lines = [CheckoutLine(gadget.pk, gadgets)] + ([CheckoutLine(cable.pk, cables)] if cables else [])
        [order] = checkout(buyer=buyer, address_id=buyer.addresses.first().pk, lines=lines,
                           shipping={store.pk: option.pk})
        return order

    return place
