"""Timeline writers: every entry of an order's history goes through here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from souk.orders.event_kinds import EventKind
from souk.orders.models import OrderEvent


def record(*, order_id: int, kind: str, actor_role: str, actor=None, message: str = "",
           data: dict[str, Any] | None = None, from_status: str = "", to_status: str = "",
           now: datetime | None = None) -> OrderEvent:
    """Append one event to an order's timeline (a note, a message, a status change).

    `kind` is one of EventKind (souk/orders/event_kinds.py); any other is a ValueError."""
    if kind not in EventKind.values:
        raise ValueError(f"{kind!r} is not an order event kind: add it to souk/orders/event_kinds.py")
    return OrderEvent.objects.create(
        order_id=order_id, kind=kind, actor_role=actor_role,
        actor_id=getattr(actor, "pk", None), message=message[:240], data=data or {},
        from_status=str(from_status), to_status=str(to_status), created_at=now or timezone.now())
