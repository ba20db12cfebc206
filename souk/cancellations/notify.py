"""Telling the other party: an in-app/email/webhook notification (souk.notifications, outbox rows in
the caller's transaction) and a system message in the order's buyer–seller conversation
(souk.messaging). Imported lazily so loading this app does not load theirs.
"""

from __future__ import annotations

from typing import Any


def tell(*, kind: str, recipients: list, order, title: str, body: str, data: dict[str, Any] | None = None,
         actor=None, message: bool = True) -> None:
    """Notify `recipients` (users) about `order` and, when `message`, post it into the order's conversation."""
    from souk.notifications.services import notify

    notify(kind=kind, recipients=[r for r in recipients if r is not None], order=order, title=title, body=body,
           data=data or {}, actor=actor)
    if message:
        from souk.messaging.services import post_system_message

        post_system_message(order=order, body=body, data={"kind": kind, **(data or {})})
