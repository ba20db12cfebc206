"""Stock under concurrent sellers' tools and checkouts: never below zero, no lost update."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import close_old_connections

from souk.catalog.services import stock_adjust
from souk.core.errors import Conflict
from tests.factories import ProductFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_decrements_stop_exactly_at_zero():
    product = ProductFactory(stock=5)
    store = product.store

    def take_one(_):
        close_old_connections()
        try:
            return stock_adjust(store=store, product_id=product.id, delta=-1)
        except Conflict as exc:
            return exc.code
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(take_one, range(12)))

    product.refresh_from_db()
    assert product.stock == 0
    assert results.count("stock_would_go_negative") == 7
    assert sorted(r for r in results if isinstance(r, int)) == [0, 1, 2, 3, 4]


@pytest.mark.django_db
def test_adjusting_stock_by_more_than_there_is_changes_nothing():
    product = ProductFactory(stock=2)

    with pytest.raises(Conflict) as exc:
        stock_adjust(store=product.store, product_id=product.id, delta=-3)

    assert exc.value.code == "stock_would_go_negative"
    product.refresh_from_db()
    assert product.stock == 2
