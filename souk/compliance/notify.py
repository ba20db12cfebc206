"""Telling people: an in-app/email/webhook notification (souk.notifications, outbox rows in the caller's
transaction) and, for an order, a system message in its buyer–seller conversation (souk.messaging)."""

from __future__ import annotations

from typing import Any


def tell(*, kind: str, recipients: list, title: str, body: str, order=None, data: dict[str, Any] | None = None,
         actor=None, message: bool = False) -> None:
    from souk.notifications.services import notify

    notify(kind=kind, recipients=[r for r in recipients if r is not None], order=order, title=title, body=body,
           data=data or {}, actor=actor)
    if message and order is not None:
        from souk.messaging.services import post_system_message

        post_system_message(order=order, body=body, data={"kind": kind, **(data or {})})
