"""Telling the other party: in-app/email/webhook notifications and a system message in the order's
conversation. Both are written in the caller's transaction (outbox) by the notifications and
messaging apps; imported lazily so this app does not load them at import time.
"""

from __future__ import annotations

from typing import Any


def tell(*, kind: str, recipients: list, order, title: str, body: str, data: dict[str, Any] | None = None,
         actor=None, message: bool = True) -> None:
    """Notify `recipients` (users) about `order` and, when `message`, post it into the order's conversation."""
    try:
        from souk.notifications.services import notify
    except ImportError:  # TEMPORARY until the notifications app lands its service
        return
    notify(kind=kind, recipients=[r for r in recipients if r is not None], order=order, title=title, body=body,
           data=data or {}, actor=actor)
    if message:
        try:
            from souk.messaging.services import post_system_message
        except ImportError:  # TEMPORARY until the messaging app lands its service
            return
        post_system_message(order=order, body=body, data={"kind": kind, **(data or {})})
