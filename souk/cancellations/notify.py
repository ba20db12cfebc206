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
         actor=None, message: bool = True) -> None:
    """Notify `recipients` (users) about `order` and, when `message`, post it into the order's conversation."""
    from souk.notifications.services import notify

    notify(kind=kind, recipients=[r for r in recipients if r is not None], order=order, title=title, body=body,
           data=data or {}, actor=actor)
    if message:
        from souk.messaging.services import post_system_message

        post_system_message(order=order, body=body, data={"kind": kind, **(data or {})})


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
