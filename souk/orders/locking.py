"""Locking an order row without the ORM's per-call query compilation (the hot path of every
status change): `SELECT ... FOR UPDATE OF` the order, its store (and, with `parties`, the buyer
and the store's owner) in one statement built once per process. `souk.orders.services.lock_order`
is the one entry point; it uses this for the filters it supports and the ORM otherwise.

It returns what the ORM's `select_for_update(of=("self",)).select_related(...)` returns (the same
values, the same related objects attached), except that the buyer and the owner carry only their
id, email and name fields, the others deferred: tests/orders/test_lock_parity.py checks it."""

from __future__ import annotations

from typing import Any

from django.db import connection

LOCK_FILTERS = {"buyer": "o.buyer_id", "store__owner": "s.owner_id"}
_USER_FIELDS = ("id", "email", "display_name", "first_name", "last_name")
_lock_sql: dict[tuple, tuple[str, list]] = {}


def _in_model_order(model, names: tuple[str, ...]) -> list:
    """The concrete fields `names` in the model's field order: `Model.from_db` assigns a partial
    value list in THAT order, whatever the order of the names it is given (a list in any other
    order puts values in the wrong fields). tests/orders/test_lock_parity.py holds this statement
    equal to the ORM's `select_related` query."""
    fields = [f for f in model._meta.concrete_fields if f.attname in names]
    if len(fields) != len(set(names)):
        unknown = sorted(set(names) - {f.attname for f in fields})
        raise ValueError(f"not concrete fields of {model.__name__}: {unknown}")
    return fields


def _lock_plan(keys: tuple[str, ...], parties: bool) -> tuple[str, list]:
    from django.contrib.auth import get_user_model

    from souk.catalog.models import Store
    from souk.orders.models import Order

    cached = _lock_sql.get((connection.vendor, keys, parties))
    if cached is not None:
        return cached
    user_model = get_user_model()
    q = connection.ops.quote_name
    parts = [("o", Order, list(Order._meta.concrete_fields)), ("s", Store, list(Store._meta.concrete_fields))]
    joins = f"JOIN {q(Store._meta.db_table)} s ON s.id = o.store_id"
    if parties:
        user_fields = _in_model_order(user_model, _USER_FIELDS)
        parts += [("b", user_model, user_fields), ("w", user_model, user_fields)]
        joins += (f" JOIN {q(user_model._meta.db_table)} b ON b.id = o.buyer_id"
                  f" JOIN {q(user_model._meta.db_table)} w ON w.id = s.owner_id")
    columns, plan = [], []
    for alias, model, fields in parts:
        block = []
        for f in fields:
            columns.append(f"{alias}.{q(f.column)}")
            col = f.get_col(model._meta.db_table)
            block.append((connection.ops.get_db_converters(col) + f.get_db_converters(connection), col))
        plan.append((model, [f.attname for f in fields], block))
    where = " AND ".join(["o.id = %s", *(f"{LOCK_FILTERS[k]} = %s" for k in keys)])
    sql = (f"SELECT {', '.join(columns)} FROM {q(Order._meta.db_table)} o {joins} WHERE {where}"
           + (" FOR UPDATE OF o" if connection.features.has_select_for_update_of else ""))
    _lock_sql[(connection.vendor, keys, parties)] = (sql, plan)
    return sql, plan


def lock_order_sql(*, order_id: int, parties: bool = False, **filters: Any):
    """The order row locked, in plain SQL built once per process
    (`SELECT ... FOR UPDATE OF` the order), its store loaded with it and, with `parties`, the buyer
    and the store's owner (id, email and name fields). `filters`: `buyer=user` and/or
    `store__owner=user`; an order not visible with them is NotFound, like one that does not exist."""
    from souk.core.errors import NotFound
    from souk.orders.models import Order

    keys = tuple(sorted(filters))
    if any(k not in LOCK_FILTERS for k in keys):
        raise ValueError(f"unsupported order filters: {keys}")  # callers check LOCK_FILTERS first
    sql, plan = _lock_plan(keys, parties)
    with connection.cursor() as cursor:
        cursor.execute(sql, [order_id, *(getattr(filters[k], "pk", filters[k]) for k in keys)])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("Order not found.", code="order_not_found")
    objects, at = [], 0
    for model, names, block in plan:
        values = []
        for value, (converters, col) in zip(row[at:at + len(names)], block, strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            values.append(value)
        at += len(names)
        objects.append(model.from_db(connection.alias, names, values))
    order, store = objects[0], objects[1]
    Order.store.field.set_cached_value(order, store)
    if parties:
        buyer, owner = objects[2], objects[3]
        type(store).owner.field.set_cached_value(store, owner)
        Order.buyer.field.set_cached_value(order, buyer)
        # select_related through a one-to-one also attaches the reverse side (owner.store).
        type(store).owner.field.remote_field.set_cached_value(owner, store)
    return order
