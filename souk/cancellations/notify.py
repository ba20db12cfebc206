"""Telling the other party: an in-app/email/webhook notification (souk.notifications, outbox rows in
the caller's transaction) and a system message in the order's buyer–seller conversation
(souk.messaging). Imported lazily so loading this app does not load theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

logger = logging.getLogger("souk.cancellations")


def tell(*, kind: str, recipients: list, order, title: str, body: str, data: dict[str, Any] | None = None,
         actor=None, message: bool = True, tasks: list | None = None) -> None:
    """Notify `recipients` (users) about `order` and, when `message`, post it into the order's conversation.

    With `tasks`, the delivery tasks are appended to it for the caller to write in its own
    transaction (`souk.core.tasks.enqueue_together`); else they are enqueued after commit."""
    tell_many([{"kind": kind, "recipients": recipients, "order": order, "title": title, "body": body,
                "data": data, "actor": actor, "message": message}], tasks=tasks)


def tell_many(items: list[dict[str, Any]], *, tasks: list | None = None) -> None:
    """Several `tell`s at once (same keys): one `notify_many` (one INSERT per outbox table), then
    the conversation messages."""
    from souk.notifications.services import Note, notify_many

    notify_many([Note(kind=i["kind"], recipients=[r for r in i["recipients"] if r is not None], order=i["order"],
                      title=i["title"], body=i["body"], data=i.get("data") or {}, actor=i.get("actor"))
                 for i in items], tasks=tasks)
    for i in items:
        if i.get("message", True):
            from souk.messaging.services import post_system_message

            post_system_message(order=i["order"], body=i["body"], data={"kind": i["kind"], **(i.get("data") or {})})


@contextmanager
def coalesced_on_commit() -> Iterator[None]:
    """After-commit callbacks registered inside this block (one delivery enqueue per notification)
    run together in ONE transaction after commit, instead of one autocommit INSERT each: a batch of
    500 deadlines then costs one extra commit, not 500. A failure only loses the fast path: the
    notifications sweep delivers every pending email and webhook anyway."""
    conn = transaction.get_connection()
    start = len(conn.run_on_commit)
    yield
    added = [func for _, func, _ in conn.run_on_commit[start:]]
    del conn.run_on_commit[start:]
    if not added:
        return

    def run_together() -> None:
        try:
            with transaction.atomic():
                for func in added:
                    func()
        except Exception:
            logger.exception("after-commit callbacks of a deadline batch failed; the sweeps will catch up")

    transaction.on_commit(run_together)
