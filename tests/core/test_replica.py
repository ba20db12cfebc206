"""The read-replica router (souk/core/replica.py): reads of the selectors marked `@tolerates_lag` go to
the `replica` alias, everything else (writes, money, timers, reads inside a transaction) to the primary.

The replica here is a second connection to the same PostgreSQL test database, added as the `replica`
alias the way DATABASE_REPLICA_URL adds it, so the test sees which connection each query used."""

from __future__ import annotations

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from souk.catalog.selectors import category_list, product_detail, product_list
from souk.checkout.services import CheckoutLine, checkout
from souk.core.replica import REPLICA, replica_configured
from souk.ledger.selectors import order_money
from souk.orders.models import Order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def replica():
    connections.settings[REPLICA] = {**connections["default"].settings_dict, "TEST": {"MIRROR": "default"}}
    # Connected here: Django's test case refuses to open a connection to an alias the test did not
    # declare, and this one is added after the test case was set up.
    connections[REPLICA].connect()
    try:
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def test_marked_catalog_reads_go_to_the_replica_and_the_rest_to_the_primary(replica, buyer, product):
    assert replica_configured()
    option = product.store.shipping_options.get()
    [order] = checkout(buyer=buyer, address_id=buyer.addresses.get().pk, lines=[CheckoutLine(product.pk, 1)],
                       shipping={product.store_id: option.pk})
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        page = product_list()
        categories = category_list()
        detail = product_detail(product_id=product.pk)  # decides what is bought: the primary
        money = order_money(order_id=order.pk)  # money: never the replica
        Order.objects.filter(pk=order.pk).update(item_count=1)  # a write
    assert [p.pk for p in page.items] == [product.pk] and detail.pk == product.pk and categories is not None
    assert money is not None
    assert len(on_replica) == 2 and all("catalog_" in q["sql"] for q in on_replica.captured_queries)
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    assert "ledger" not in replica_sql and "UPDATE" not in replica_sql
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    assert "UPDATE" in primary_sql and "ledger" in primary_sql


def test_a_marked_read_inside_a_transaction_stays_on_the_primary(replica, product):
    with transaction.atomic(), CaptureQueriesContext(replica) as on_replica:
        page = product_list()
    assert [p.pk for p in page.items] == [product.pk]
    assert len(on_replica) == 0


def test_without_a_replica_the_mark_changes_nothing(product, django_assert_num_queries):
    assert not replica_configured()
    with django_assert_num_queries(1):
        assert [p.pk for p in product_list().items] == [product.pk]
