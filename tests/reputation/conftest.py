from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction

from souk.checkout.services import CheckoutLine, checkout
from souk.fulfilment.services import order_confirm_receipt, order_mark_shipped
from souk.orders.services import lock_order, transition
from souk.orders.status import Action
from souk.reputation.stats import rollup_events
from tests.factories import (
    AddressFactory,
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)

NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def shop(db):
    """A store (5 handling days) with one product that ships everywhere; returns (store, product)."""
    store = StoreFactory(handling_days=5, slug="alpha-gadgets")
    product = ProductFactory(store=store, price_minor=1500, stock=10_000)
    ShippingRateFactory(option=ShippingOptionFactory(store=store))
    return store, product


@pytest.fixture
def customer(db):
    user = UserFactory(email="ada@example.com", display_name="Ada Lovelace")
    AddressFactory(user=user)
    return user


def place(buyer, product, *, at: datetime):
    [order] = checkout(buyer=buyer, address_id=buyer.addresses.first().pk,
                       lines=[CheckoutLine(product.pk, 1)],
                       shipping={product.store_id: product.store.shipping_options.first().pk}, now=at)
    return order


def pay(order, *, at: datetime):
    with transaction.atomic():
        return transition(order=lock_order(order_id=order.pk), action=Action.PAY, actor=None,
                          actor_role="system", now=at)


def ship(order, *, at: datetime):
    return order_mark_shipped(seller=order.store.owner, order_id=order.pk, carrier="DHL",
                              tracking_number="JD0146000062", now=at)


def complete(order, *, at: datetime):
    return order_confirm_receipt(buyer=order.buyer, order_id=order.pk, now=at)


def completed_order(buyer, product, *, completed_at: datetime):
    """An order placed and paid 6 days before `completed_at`, shipped 5 days before."""
    from datetime import timedelta

    order = place(buyer, product, at=completed_at - timedelta(days=6))
    pay(order, at=completed_at - timedelta(days=6))
    ship(order, at=completed_at - timedelta(days=5))
    return complete(order, at=completed_at)


def ran_out(order, *, at: datetime):
    """The seller cancels `order` for "out of stock" (the listing drops to 0), then restocks it."""
    from souk.cancellations.services import order_cancel_by_seller
    from souk.catalog.models import Product

    order_cancel_by_seller(seller=order.store.owner, order_id=order.pk, reason="out_of_stock", now=at)
    Product.objects.filter(store_id=order.store_id).update(stock=10_000)


def roll_up(now: datetime = NOW) -> int:
    """Runs the stats sweep until it has read every timeline event."""
    total = 0
    while read := rollup_events(now=now, settle_seconds=0):
        total += read
    return total
