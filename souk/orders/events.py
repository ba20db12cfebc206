"""Timeline writers: every entry of an order's history goes through here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from souk.orders.event_kinds import EventKind
from souk.orders.models import OrderEvent

_KINDS = frozenset(EventKind.values)  # EventKind.values builds a list on every call


def record(*, order_id: int, kind: str, actor_role: str, actor=None, message: str = "",
           data: dict[str, Any] | None = None, from_status: str = "", to_status: str = "",
           now: datetime | None = None) -> OrderEvent:
    """Append one event to an order's timeline (a note, a message, a status change).

    `kind` is one of EventKind (souk/orders/event_kinds.py); any other is a ValueError."""
    if kind not in _KINDS:
        raise ValueError(f"{kind!r} is not an order event kind: add it to souk/orders/event_kinds.py")
    return OrderEvent.objects.create(
        order_id=order_id, kind=kind, actor_role=actor_role,
        actor_id=getattr(actor, "pk", None), message=message[:240], data=data or {},
        from_status=str(from_status), to_status=str(to_status), created_at=now or timezone.now())


# --- The same event on several timelines at once (bulk) ----------------------------------------
# Same arguments, the same kinds refused and the same stored values as `record`
# (tests/checkout/test_fast_path_parity.py compares the bulk forms with it).



def _same_event(*, kind: str, actor_role: str, actor=None, message: str = "",
                data: dict[str, Any] | None = None, from_status: str = "", to_status: str = "",
                now: datetime | None = None) -> dict[str, Any]:
    if kind not in _KINDS:
        raise ValueError(f"{kind!r} is not an order event kind: add it to souk/orders/event_kinds.py")
    return {"kind": kind, "actor_role": actor_role, "actor_id": getattr(actor, "pk", None),
            "message": message[:240], "data": data or {}, "from_status": str(from_status),
            "to_status": str(to_status), "created_at": now or timezone.now()}


def record_many(*, order_ids: list[int], kind: str, actor_role: str, actor=None, message: str = "",
                data: dict[str, Any] | None = None, from_status: str = "", to_status: str = "",
                now: datetime | None = None) -> list[OrderEvent]:
    """Append the same event to each order's timeline (e.g. `order_placed` on every order of a
    checkout): ONE INSERT, in the order of `order_ids`."""
    values = _same_event(kind=kind, actor_role=actor_role, actor=actor, message=message, data=data,
                         from_status=from_status, to_status=to_status, now=now)
    return OrderEvent.objects.bulk_create([OrderEvent(order_id=order_id, **values) for order_id in order_ids])


_EVENT_COLUMNS = ("kind", "actor_role", "actor_id", "message", "data", "from_status", "to_status",
                  "created_at")


def record_many_part(name: str, *, orders: str):
    """`record_many` as a part of one write statement (souk.core.sql): the event on the timeline of
    every order the earlier part `orders` yields (its `id` column), in id order.
    Parameters: `record_many_params(...)`, with `record_many`'s arguments but `order_ids`."""
    from souk.core.sql import Part, quote, typed

    fields = _event_fields()
    return Part(name, f"""
INSERT INTO {quote(OrderEvent._meta.db_table)} (order_id, {", ".join(quote(f.column) for f in fields)})
SELECT o.id, {", ".join(typed(f) for f in fields)} FROM {orders} AS o ORDER BY o.id
RETURNING id""", columns=("id",), needs=(orders,))


def record_many_params(*, kind: str, actor_role: str, actor=None, message: str = "",
                       data: dict[str, Any] | None = None, from_status: str = "", to_status: str = "",
                       now: datetime | None = None) -> tuple:
    """The values `record_many` stores, each prepared by its model field as the ORM's INSERT prepares it."""
    from django.db import connection

    values = _same_event(kind=kind, actor_role=actor_role, actor=actor, message=message, data=data,
                         from_status=from_status, to_status=to_status, now=now)
    return tuple(f.get_db_prep_save(values[f.attname], connection) for f in _event_fields())


def _event_fields() -> list:
    return [OrderEvent._meta.get_field(c) for c in _EVENT_COLUMNS]
