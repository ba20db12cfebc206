from __future__ import annotations

import itertools

import pytest

from souk.checkout.services import CheckoutLine, checkout
from souk.payments.services import order_pay
from tests.factories import (
    StoreFactory,
    UserFactory,
    gadget_shop,
)
from tests.support import Api  # noqa: F401  (re-exported for the tests)

_keys = itertools.count(1)


@pytest.fixture
def shop(db):
    """A store selling a $20.00 gadget and a $5.00 cable (50 of each), shipping $3.00."""
    return gadget_shop()


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


