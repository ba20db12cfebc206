"""Telling the other party of a dispute's step: a notification (in-app, email, webhook through the
outbox, souk.notifications) and a system message in the order's conversation (souk.messaging), both
in the caller's transaction. Cancellations' `notify.tell_many` does exactly this; disputes use it."""

from __future__ import annotations

from souk.cancellations.notify import coalesced_on_commit, tell_many

__all__ = ["coalesced_on_commit", "tell_parties"]


def tell_parties(
    *,
    order,
    dispute,
    kind: str,
    to: list,
    title: str,
    body: str,
    actor=None,
    data: dict | None = None,
    message: bool = True,
    tasks: list | None = None,
) -> None:
    """Notify the users `to` about `dispute` and post `body` into the order's conversation once."""
    payload = {"dispute_id": dispute.pk, "state": dispute.state, **(data or {})}
    tell_many(
        [
            {
                "kind": kind,
                "recipients": to,
                "order": order,
                "title": title,
                "body": body,
                "data": payload,
                "actor": actor,
                "message": message,
            }
        ],
        tasks=tasks,
    )
