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

__all__ = ["insert", "insert_sql", "load", "saved", "select_columns"]

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
