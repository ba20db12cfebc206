"""The one stock API (`souk.catalog.stock`): each call is one statement and moves exactly what the
ORM path it replaces would move — same stock left, same products refused — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from souk.catalog.models import Product
from souk.catalog.stock import stock_release, stock_reserve, stock_zero
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _orm_reserve(wanted: list[tuple[int, int]]) -> set[int]:
    """The ORM path: one guarded UPDATE per product."""
    done = set()
    for pid, q in wanted:
        if Product.objects.filter(pk=pid, stock__gte=q).update(stock=F("stock") - q):
            done.add(pid)
    return done


def _stocks(ids) -> dict[int, int]:
    return dict(Product.objects.filter(pk__in=ids).values_list("pk", "stock"))


@pytest.fixture
def twin_products(db):
    """Two identical sets of listings (10, 3, 0 units): one moved by the API, one by the ORM path."""
    return ([ProductFactory(stock=n).pk for n in (10, 3, 0)], [ProductFactory(stock=n).pk for n in (10, 3, 0)])


def test_reserving_takes_what_there_is_refuses_what_there_is_not_like_the_orm_path(twin_products):
    api_ids, orm_ids = twin_products
    asks = [4, 5, 1]  # 4 of 10: yes; 5 of 3: no; 1 of 0: no
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        got = stock_reserve(zip(api_ids, asks, strict=True))
    assert len(ctx.captured_queries) == 1  # one statement for every line
    expected = _orm_reserve(list(zip(orm_ids, asks, strict=True)))
    assert got == {api_ids[0]} and expected == {orm_ids[0]}
    assert list(_stocks(api_ids).values()) == list(_stocks(orm_ids).values()) == [6, 3, 0]


def test_a_product_listed_twice_is_reserved_once_for_the_sum():
    pid = ProductFactory(stock=5).pk
    with transaction.atomic():
        assert stock_reserve([(pid, 3), (pid, 3)]) == set()  # 6 > 5: nothing taken
        assert stock_reserve([(pid, 2), (pid, 3)]) == {pid}
    assert _stocks([pid]) == {pid: 0}


def test_releasing_puts_units_back_and_ignores_deleted_products_and_zeros(twin_products):
    api_ids, orm_ids = twin_products
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        stock_release({api_ids[0]: 2, api_ids[1]: 0, None: 5, api_ids[2]: 7})
    assert len(ctx.captured_queries) == 1
    for pid, q in ((orm_ids[0], 2), (orm_ids[2], 7)):
        Product.objects.filter(pk=pid).update(stock=F("stock") + q)
    assert list(_stocks(api_ids).values()) == list(_stocks(orm_ids).values()) == [12, 3, 7]


def test_a_sold_out_listing_shows_zero_until_the_seller_restocks(twin_products):
    api_ids, _ = twin_products
    with transaction.atomic():
        assert stock_zero([api_ids[0], api_ids[1], None, api_ids[2]]) == 2  # the empty one was already 0
    assert set(_stocks(api_ids).values()) == {0}
    with transaction.atomic():
        assert stock_reserve([(api_ids[0], 1)]) == set()


def test_nothing_to_move_sends_no_statement():
    with CaptureQueriesContext(connection) as ctx:
        assert stock_reserve([]) == set()
        stock_release({})
        assert stock_zero([]) == 0
    assert ctx.captured_queries == []
