"""Checkouts per second through the service layer (souk.checkout.services.checkout)."""


from __future__ import annotations

import time
from collections.abc import Callable

from bench.harness import per_operation

STORES = 20
PRODUCTS_PER_STORE = 20
BUYERS = 64


def seed() -> None:
    from souk.accounts.models import Address, User
    from souk.catalog.models import Product, ShippingOption, ShippingRate, Store

    sellers = User.objects.bulk_create(
        [User(email=f"bench-seller{i}@example.com", password="!") for i in range(STORES)])
    stores = Store.objects.bulk_create(
        [Store(owner=u, name=f"Bench store {i}", slug=f"bench-store-{i}", currency="USD", handling_days=5)
         for i, u in enumerate(sellers)])
    options = ShippingOption.objects.bulk_create(
        [ShippingOption(store=s, name="Standard", carrier="Souk Post", protection_days=60) for s in stores])
    ShippingRate.objects.bulk_create(
        [ShippingRate(option=o, country="", cost_minor=299, min_days=7, max_days=20) for o in options])
    Product.objects.bulk_create(
        [Product(store=s, title=f"Bench product {s.id}-{j}", slug=f"p-{j}", price_minor=1000 + j,
                 currency="USD", stock=10_000_000) for s in stores for j in range(PRODUCTS_PER_STORE)])
    buyers = User.objects.bulk_create(
        [User(email=f"bench-buyer{i}@example.com", password="!") for i in range(BUYERS)])
    Address.objects.bulk_create(
        [Address(user=b, name="Bench Buyer", country="US", country_area="CA", city="Mountain View",
                 street_address="1600 Amphitheatre Pkwy", postal_code="94043", phone="+16502530000",
                 is_default=True) for b in buyers])


@per_operation
def prepare(index: int) -> Callable[[], object]:
    """One client: a buyer checking out one line from one store, again and again.

    Everything looked up once is looked up here, outside the timed loop; one operation
    is one call of the service, with a random product and quantity.
    """
    import random

    from souk.accounts.models import Address, User
    from souk.catalog.models import Product, ShippingOption
    from souk.checkout.services import CheckoutLine, checkout

    rng = random.Random(index)
    buyer = User.objects.get(email=f"bench-buyer{index % BUYERS}@example.com")
    address_id = Address.objects.filter(user=buyer).values_list("id", flat=True).get()
    option_by_store = dict(ShippingOption.objects.values_list("store_id", "id"))
    products = list(Product.objects.values_list("id", "store_id"))

    def op() -> object:
        product_id, store_id = rng.choice(products)
        return checkout(buyer=buyer, address_id=address_id, lines=[CheckoutLine(product_id, rng.randint(1, 3))],
                        shipping={store_id: option_by_store[store_id]})

    return op


def client(index: int, deadline: float) -> int:
    """The same client as a loop until `deadline` (for profiling one process); returns its count."""
    op = prepare(index)
    done = 0
    while time.monotonic() < deadline:
        op()
        done += 1
    return done


TITLE = "Souk checkout through the service layer"


def run(ctx):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.core import Row

    seed()
    rate = ctx.clients(prepare)
    op = prepare(0)
    op()  # this process's first checkout prepares the statements
    with CaptureQueriesContext(connection) as one:
        op()
    words = [q["sql"].split()[0] for q in one.captured_queries]
    ctx.notes.append(f"checkout: {len(words)} SQL statements per checkout ({', '.join(words)}): one read "
                     "(address, products, shipping rates, specs, the destination's customs rules) and one "
                     "write (stock, order, line, timeline event, payment-window task row), each composed of "
                     "its owners' parts")
    return [Row("checkout, 1 line (service layer, 8 processes)", f"{rate:,.0f} /s", ctx.of_pgbench(rate),
                "≥ 0.20 of pgbench")]
