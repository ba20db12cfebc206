"""Plain-SQL row writes and reads for the money hot paths (cancellations, refunds, ledger).

`Model.objects.create()` compiles an ORM INSERT on every call, which cost more CPU than the
statement itself on the cancellation and refund paths. `insert` writes exactly the row `create`
would (same `pre_save`, same database preparation of each value) with a statement built once per
model, and `load` turns a raw row into a model instance with the converters the ORM would apply.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model

__all__ = ["insert", "insert_sql", "load", "lock_order", "saved", "select_columns"]

_insert_sql: dict[tuple[str, type], tuple[str, list]] = {}
_plans: dict[tuple[str, type], list] = {}


def insert(obj: Model) -> Model:
    """INSERT `obj` (an unsaved instance) and set its primary key: what `objects.create` does,
    minus signals (none are used on these models) and ORM compilation."""
    sql, params = insert_sql(obj)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return saved(obj, cursor.fetchone()[0])


def saved(obj: Model, pk: Any) -> Model:
    """Mark `obj` as the row written with primary key `pk` (after `insert_sql` ran)."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def insert_sql(obj: Model) -> tuple[str, list]:
    """The `INSERT ... RETURNING id` that writes `obj`, and its parameters (`pre_save` applied)."""
    model = type(obj)
    key = (connection.vendor, model)
    if key not in _insert_sql:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        q = connection.ops.quote_name
        sql = (f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {q(model._meta.pk.column)}")
        _insert_sql[key] = (sql, fields)
    sql, fields = _insert_sql[key]
    return sql, [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def select_columns(model: type[Model], alias: str | None = None) -> str:
    """The model's concrete columns, in field order, for a raw SELECT or RETURNING that `load` reads."""
    q = connection.ops.quote_name
    return ", ".join(f"{alias}.{q(f.column)}" if alias else q(f.column) for f in model._meta.concrete_fields)


def load(model: type[Model], row: tuple[Any, ...]) -> Model:
    """A model instance from a raw row of `select_columns(model)`, converted like the ORM converts."""
    key = (connection.vendor, model)
    plan = _plans.get(key)
    if plan is None:
        plan = []
        for f in model._meta.concrete_fields:
            col = f.get_col(model._meta.db_table)
            plan.append((connection.ops.get_db_converters(col) + f.get_db_converters(connection), col))
        _plans[key] = plan
    values = []
    for value, (converters, col) in zip(row, plan, strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        values.append(value)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], values)


_LOCK_FILTERS = {"buyer": "o.buyer_id", "store__owner": "s.owner_id"}
_USER_FIELDS = ("id", "email", "display_name", "first_name", "last_name")
_lock_sql: dict[tuple, tuple[str, list]] = {}


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
        user_fields = [user_model._meta.get_field(n) for n in _USER_FIELDS]
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
    where = " AND ".join(["o.id = %s", *(f"{_LOCK_FILTERS[k]} = %s" for k in keys)])
    sql = (f"SELECT {', '.join(columns)} FROM {q(Order._meta.db_table)} o {joins} WHERE {where}"
           + (" FOR UPDATE OF o" if connection.features.has_select_for_update_of else ""))
    _lock_sql[(connection.vendor, keys, parties)] = (sql, plan)
    return sql, plan


def lock_order(*, order_id: int, parties: bool = False, **filters: Any):
    """`orders.services.lock_order` in plain SQL built once per process: the order row locked
    (`SELECT ... FOR UPDATE OF` the order), its store loaded with it and, with `parties`, the buyer
    and the store's owner (id, email and name fields). `filters`: `buyer=user` and/or
    `store__owner=user`; an order not visible with them is NotFound, like one that does not exist."""
    from souk.core.errors import NotFound
    from souk.orders.models import Order

    keys = tuple(sorted(filters))
    if any(k not in _LOCK_FILTERS for k in keys):
        raise ValueError(f"unsupported order filters: {keys}")
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
    return order
