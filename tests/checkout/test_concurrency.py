"""Real races on PostgreSQL: many buyers, the last few units, never oversold."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from souk.catalog.models import Product
from souk.checkout.services import CheckoutLine, checkout
from souk.core.errors import DomainError
from souk.orders.models import Order
from tests.factories import AddressFactory, ProductFactory, UserFactory
from tests.orders.conftest import shop


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_buyers_racing_for_the_last_five_units_get_exactly_five_orders():
    store, product, option = shop(stock=5)
    other = ProductFactory(store=store, stock=1000)  # multi-line checkouts lock two rows: no deadlock
    buyers = [UserFactory() for _ in range(20)]
    addresses = [AddressFactory(user=b).pk for b in buyers]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(i: int) -> None:
        try:
            barrier.wait()
            lines = [CheckoutLine(product.pk, 1)]
            if i % 2:
                lines = [CheckoutLine(other.pk, 1), *lines]
            checkout(buyer=buyers[i], address_id=addresses[i], lines=lines, shipping={store.pk: option.pk})
            result = "ok"
        except DomainError as exc:
            result = exc.code
        except Exception as exc:  # noqa: BLE001 - a deadlock or oversell would surface here
            result = repr(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["ok"] * 5 + ["out_of_stock"] * 15
    assert Order.objects.count() == 5
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Product.objects.get(pk=other.pk).stock == 1000 - Order.objects.filter(item_count=2).count()
