"""The precompiled order lock (`souk.orders.locking.lock_order_sql`) is the ORM query it replaces.

For every filter combination `lock_order` sends to it, with and without `parties`, the row, every
field value of the order and its store, the loaded fields of the buyer and the store's owner (the
others deferred, never wrong), the related objects attached and the NotFound error are the same as
`Order.objects.select_for_update(of=("self",)).select_related(...).filter(...)` gives.
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from souk.catalog.models import Store
from souk.core.errors import NotFound
from souk.orders.locking import LOCK_FILTERS, lock_order_sql
from souk.orders.models import Order
from souk.orders.services import lock_order
from tests.factories import AddressFactory, UserFactory
from tests.orders.conftest import place, shop

User = get_user_model()
FILTER_SETS = [(), ("buyer",), ("store__owner",), ("buyer", "store__owner")]


def orm_lock(*, order_id: int, parties: bool, **filters):
    """The ORM path (what `lock_order` runs for filters the precompiled statement does not support)."""
    related = ("store", "buyer", "store__owner") if parties else ("store",)
    order = (Order.objects.select_for_update(of=("self",)).select_related(*related)
             .filter(pk=order_id, **filters).first())
    if order is None:
        raise NotFound("Order not found.", code="order_not_found")
    return order


def person(email: str, first: str, last: str, display: str):
    """Every loaded user field distinct and non-empty: a value in the wrong field cannot pass unseen."""
    user = UserFactory(email=email, first_name=first, last_name=last, display_name=display,
                       phone="+14155550123")
    AddressFactory(user=user, name=f"{first} {last}", street_address=f"{len(first)} Long Street")
    return user


@pytest.fixture
def deal(db):
    buyer = person("ada.buyer@example.com", "Ada", "Lovelace", "Ada L.")
    store, product, _ = shop(name="Parity Store", owner=person("grace.seller@example.com", "Grace", "Hopper",
                                                                 "Grace's Gadgets"))
    [order] = place(buyer, (product, 2))
    stranger = person("eve.other@example.com", "Eve", "Stranger", "Eve S.")
    shop(name="Stranger's Store", owner=stranger)
    return {"order": order, "buyer": buyer, "store__owner": store.owner, "stranger": stranger}


def values(obj) -> dict:
    """Every loaded concrete field: (type, value), so 5 and 5.0 or naive and aware datetimes differ."""
    deferred = obj.get_deferred_fields()
    return {f.attname: (type(getattr(obj, f.attname)), getattr(obj, f.attname))
            for f in type(obj)._meta.concrete_fields if f.attname not in deferred}


def cached_relations(order) -> dict:
    """Which related objects are attached (loaded with the row), and nothing else."""
    store = order.store if Order.store.is_cached(order) else None
    owner = store.owner if store is not None and Store.owner.is_cached(store) else None
    return {
        "order.store": store is not None,
        "order.buyer": Order.buyer.is_cached(order),
        "store.owner": owner is not None,
        "owner.store is store": owner is not None and User.store.is_cached(owner) and owner.store is store,
    }


def assert_same(got, want, *, parties: bool):
    assert type(got) is type(want) and got.pk == want.pk
    assert got._state.db == want._state.db and got._state.adding is want._state.adding is False
    assert got.get_deferred_fields() == want.get_deferred_fields() == set()
    assert values(got) == values(want)
    assert got.store.get_deferred_fields() == want.store.get_deferred_fields() == set()
    assert values(got.store) == values(want.store)
    assert cached_relations(got) == cached_relations(want)
    if not parties:
        return
    concrete = {f.attname for f in User._meta.concrete_fields}
    for g, w in ((got.buyer, want.buyer), (got.store.owner, want.store.owner)):
        loaded = set(values(g))
        assert loaded == {"id", "email", "display_name", "first_name", "last_name"}
        assert g.get_deferred_fields() == concrete - loaded  # deferred, not wrong
        assert values(g) == {k: v for k, v in values(w).items() if k in loaded}
        assert (g.name, g.email, g.get_full_name(), str(g)) == (w.name, w.email, w.get_full_name(), str(w))
    # A deferred field loads on access, with the right value.
    assert got.buyer.phone == want.buyer.phone and got.store.owner.is_active is want.store.owner.is_active


@pytest.mark.parametrize("parties", [False, True], ids=["store", "parties"])
@pytest.mark.parametrize("keys", FILTER_SETS, ids=lambda keys: "+".join(keys) or "no-filter")
def test_the_precompiled_lock_equals_the_orm_query(deal, keys, parties):
    order = deal["order"]
    filters = {k: deal[k] for k in keys}
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            got = lock_order_sql(order_id=order.pk, parties=parties, **filters)
            attached = cached_relations(got)  # reading what is attached issues no query
            got.store.owner_id, got.buyer_id  # noqa: B018 - the foreign keys are plain values
            if parties:
                got.buyer.email, got.store.owner.email, got.store.owner.store.name  # noqa: B018
        assert len(queries) == 1, [q["sql"] for q in queries]
        assert attached == {"order.store": True, "order.buyer": parties, "store.owner": parties,
                            "owner.store is store": parties}
    with transaction.atomic():
        want = orm_lock(order_id=order.pk, parties=parties, **filters)
    assert_same(got, want, parties=parties)
    # lock_order, the one entry point, takes the precompiled path for these filters: the same answer.
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        via_service = lock_order(order_id=order.pk, parties=parties, **filters)
    assert len(queries) == 1
    assert_same(via_service, want, parties=parties)


def _not_found(lock, **kwargs) -> str:
    with transaction.atomic(), pytest.raises(NotFound) as caught:
        lock(**kwargs)
    return f"{caught.value.code}: {caught.value}"


@pytest.mark.parametrize("parties", [False, True], ids=["store", "parties"])
@pytest.mark.parametrize("keys", FILTER_SETS, ids=lambda keys: "+".join(keys) or "no-filter")
def test_another_users_order_and_a_missing_order_are_the_same_not_found(deal, keys, parties):
    order = deal["order"]
    missing = Order.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    cases = [(missing, {k: deal[k] for k in keys})]
    for k in keys:  # the order exists, but one of the filters names someone else
        cases.append((order.pk, {**{j: deal[j] for j in keys}, k: deal["stranger"]}))
    for order_id, filters in cases:
        expected = _not_found(orm_lock, order_id=order_id, parties=parties, **filters)
        assert expected == "order_not_found: Order not found."
        assert _not_found(lock_order_sql, order_id=order_id, parties=parties, **filters) == expected
        assert _not_found(lock_order, order_id=order_id, parties=parties, **filters) == expected


@pytest.mark.parametrize("parties", [False, True], ids=["store", "parties"])
def test_other_filters_take_the_orm_path_with_the_same_result(deal, parties):
    order = deal["order"]
    store = order.store
    with pytest.raises(ValueError, match="unsupported order filters"):
        lock_order_sql(order_id=order.pk, store=store)
    with transaction.atomic():
        want = lock_order_sql(order_id=order.pk, parties=parties)
    with transaction.atomic():
        got = lock_order(order_id=order.pk, parties=parties, store=store)  # not in LOCK_FILTERS: the ORM
    assert "store" not in LOCK_FILTERS
    assert_same(want, got, parties=parties)
    with transaction.atomic(), pytest.raises(NotFound) as caught:
        lock_order(order_id=order.pk, parties=parties, store=deal["stranger"].store)
    assert caught.value.code == "order_not_found"


def _try_lock(model, pk) -> str:
    """From another connection: lock `model` row `pk` without waiting."""
    outcome: list[str] = []

    def run():
        try:
            with transaction.atomic():
                model.objects.select_for_update(nowait=True).filter(pk=pk).exists()
            outcome.append("free")
        except DatabaseError:
            outcome.append("locked")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("parties", [False, True], ids=["store", "parties"])
def test_the_same_rows_are_locked_the_order_only(parties):
    buyer = person("ada.buyer@example.com", "Ada", "Lovelace", "Ada L.")
    store, product, _ = shop(name="Lock Store")
    [order] = place(buyer, (product, 1))

    def held(lock) -> dict:
        with transaction.atomic():
            lock()
            return {"order": _try_lock(Order, order.pk), "store": _try_lock(Store, store.pk),
                    "buyer": _try_lock(User, buyer.pk), "owner": _try_lock(User, store.owner_id)}

    sql = held(lambda: lock_order_sql(order_id=order.pk, parties=parties, buyer=buyer))
    orm = held(lambda: orm_lock(order_id=order.pk, parties=parties, buyer=buyer))
    assert sql == orm == {"order": "locked", "store": "free", "buyer": "free", "owner": "free"}
