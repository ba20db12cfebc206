"""A small marketplace for page and browser tests: a buyer, a seller's store, orders in each state,
made through the real services (checkout, pay with a sandbox card, ship)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from souk.checkout.services import CheckoutLine, checkout
from souk.fulfilment.services import order_mark_shipped
from souk.orders.models import Order
from souk.payments.services import order_pay
from tests.factories import (
    AddressFactory,
    ProductFactory,
    ProductSpecFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)

PASSWORD = "correct horse battery"
_keys = itertools.count(1)


@dataclass
class World:
    buyer: object
    seller: object
    store: object
    product: object
    option: object

    def order(self, *, quantity: int = 1, paid: bool = False, shipped: bool = False) -> Order:
        [order] = checkout(buyer=self.buyer, address_id=self.buyer.addresses.first().pk,
                           lines=[CheckoutLine(self.product.pk, quantity)], shipping={self.store.pk: self.option.pk})
        if paid or shipped:
            order_pay(buyer=self.buyer, order_id=order.pk, method="card", token="tok_visa",
                      idempotency_key=f"world-{next(_keys)}")
        if shipped:
            order_mark_shipped(seller=self.seller, order_id=order.pk, carrier="Souk Post",
                               tracking_number=f"SP{next(_keys):08d}CN")
        order.refresh_from_db()
        return order


def build_world(*, buyer_email: str = "amina@example.com", seller_email: str = "karim@example.com") -> World:
    buyer = UserFactory(email=buyer_email, display_name="Amina")
    AddressFactory(user=buyer, name="Amina Haddad")
    seller = UserFactory(email=seller_email, display_name="Karim")
    store = StoreFactory(owner=seller, name="Atlas Gadgets", handling_days=5)
    product = ProductFactory(store=store, title="Wireless earbuds", price_minor=2450, stock=40)
    ProductSpecFactory(product=product, name="Colour", value="Sand")
    option = ShippingOptionFactory(store=store, name="Standard Shipping", carrier="Souk Post")
    ShippingRateFactory(option=option, cost_minor=300, min_days=7, max_days=15)
    return World(buyer=buyer, seller=seller, store=store, product=product, option=option)
