"""My Orders and the seller's list: keyset pages, search, constant queries, served by the index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.core.errors import NotFound, ValidationFailed
from souk.orders.models import Order
from souk.orders.selectors import (
    buyer_orders,
    buyer_orders_queryset,
    encode_cursor,
    order_for_buyer,
    order_for_seller,
    page_queryset,
    store_orders,
    store_orders_queryset,
)
from tests.factories import ProductFactory
from tests.orders.conftest import pay, place


def many_orders(buyer, product, n, *, start=None):
    start = start or timezone.now() - timedelta(days=n)
    return [place(buyer, (product, 1), now=start + timedelta(hours=i))[0] for i in range(n)]


def test_pages_walk_every_order_newest_first_without_gaps_or_repeats(buyer, store_a):
    orders = many_orders(buyer, store_a[1], 7)
    seen, cursor = [], None
    while True:
        page = buyer_orders(buyer=buyer, cursor=cursor, limit=3)
        seen += [row.number for row in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == [o.number for o in reversed(orders)]


def test_orders_placed_in_the_same_instant_are_still_paged_exactly(buyer, store_a, store_b):
    now = timezone.now()
    for _ in range(3):
        place(buyer, (store_a[1], 1), (store_b[1], 1), now=now)  # two orders, same created_at
    first = buyer_orders(buyer=buyer, limit=4)
    second = buyer_orders(buyer=buyer, limit=4, cursor=first.next_cursor)
    numbers = [r.number for r in first.items + second.items]
    assert len(numbers) == len(set(numbers)) == 6
    assert second.next_cursor is None


def test_a_status_tab_shows_only_that_status(buyer, store_a):
    orders = many_orders(buyer, store_a[1], 3)
    pay(orders[1])
    page = buyer_orders(buyer=buyer, status="awaiting_shipment")
    assert [r.number for r in page.items] == [orders[1].number]


def test_search_finds_an_order_by_its_number_or_by_any_product_in_it(buyer, store_a):
    cable = ProductFactory(store=store_a[0], title="USB-C Charging Cable")
    first = place(buyer, (store_a[1], 1), (cable, 1))[0]
    other = place(buyer, (store_a[1], 1))[0]
    assert [r.number for r in buyer_orders(buyer=buyer, query=first.display_number).items] == [first.number]
    assert [r.number for r in buyer_orders(buyer=buyer, query="charging cable").items] == [first.number]
    assert {r.number for r in buyer_orders(buyer=buyer, query=store_a[1].title).items} == {first.number, other.number}
    assert buyer_orders(buyer=buyer, query="nothing like this").items == []


def test_nobody_sees_someone_elses_orders(buyer, other_buyer, store_a, store_b):
    order = place(buyer, (store_a[1], 1))[0]
    assert buyer_orders(buyer=other_buyer).items == []
    assert buyer_orders(buyer=other_buyer, query=order.number).items == []
    assert store_orders(seller=store_b[0].owner).items == []
    assert [r.number for r in store_orders(seller=store_a[0].owner).items] == [order.number]
    with pytest.raises(NotFound):
        order_for_buyer(buyer=other_buyer, number=order.number)
    with pytest.raises(NotFound):
        order_for_seller(seller=store_b[0].owner, order_id=order.pk)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": encode_cursor(timezone.now(), 1)[:-3] + "!!!"}, "cursor"),
    ({"status": "lost"}, "status"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
])
def test_bad_list_parameters_name_their_field(buyer, kwargs, field):
    with pytest.raises(ValidationFailed) as err:
        buyer_orders(buyer=buyer, **kwargs)
    assert err.value.field == field


def test_a_page_of_five_and_a_page_of_fifty_cost_the_same_queries(buyer, store_a):
    many_orders(buyer, store_a[1], 55)
    counts = []
    for limit in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            page = buyer_orders(buyer=buyer, limit=limit)
            [(r.display_number, r.total_display, r.status_label, r.store_name) for r in page.items]
        assert len(page.items) == limit
        counts.append(len(ctx.captured_queries))
    assert counts == [1, 1]


def test_an_order_with_lines_and_timeline_loads_in_three_queries(buyer, store_a):
    products = [store_a[1]] + [ProductFactory(store=store_a[0]) for _ in range(5)]
    order = place(buyer, *[(p, 1) for p in products])[0]
    pay(order)
    with CaptureQueriesContext(connection) as ctx:
        loaded = order_for_buyer(buyer=buyer, number=order.number)
        assert (loaded.store.name, len(loaded.lines.all()), len(loaded.events.all())) == ("Alpha Gadgets", 6, 2)
    assert len(ctx.captured_queries) == 3


@pytest.mark.postgres
@pytest.mark.parametrize(("status", "index"), [(None, "order_buyer_recent"),
                                               ("awaiting_payment", "order_buyer_status_recent")])
def test_my_orders_is_served_by_the_buyer_index_on_postgresql(buyer, other_buyer, store_a, status, index):
    mine = many_orders(buyer, store_a[1], 60)
    many_orders(other_buyer, store_a[1], 30)
    # Like a real account: most orders are long finished, a few are waiting for payment.
    Order.objects.exclude(pk__in=[o.pk for o in mine[-12:]]).update(status="completed")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("SET LOCAL enable_seqscan = off")
    first = buyer_orders(buyer=buyer, status=status, limit=10)
    for cursor_value in (None, first.next_cursor):
        plan = page_queryset(buyer_orders_queryset(buyer=buyer, status=status), cursor=cursor_value,
                             limit=10).explain()
        assert index in plan, plan
        assert "Sort" not in plan, plan


@pytest.mark.postgres
@pytest.mark.parametrize("status", [None, "awaiting_payment"])
def test_the_seller_dashboard_is_served_by_the_store_indexes_on_postgresql(buyer, other_buyer, store_a, status):
    mine = many_orders(buyer, store_a[1], 60)
    many_orders(other_buyer, store_a[1], 30)
    # Like a real store: most orders are long finished, a few are waiting.
    Order.objects.exclude(pk__in=[o.pk for o in mine[-12:]]).update(status="completed")
    seller = store_a[0].owner
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("SET LOCAL enable_seqscan = off")
    first = store_orders(seller=seller, status=status, limit=10)
    assert len(first.items) == 10
    for cursor_value in (None, first.next_cursor):
        plan = page_queryset(store_orders_queryset(seller=seller, status=status), cursor=cursor_value,
                             limit=10).explain()
        assert "order_store_recent" in plan or "order_store_status_recent" in plan, plan
        assert "Sort" not in plan, plan  # walked in order, stopped at the page
