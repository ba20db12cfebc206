"""A refund's news for the apps above payments: it succeeded, it failed, it is delayed.

Payments sits below notifications (docs/architecture.md), so it never tells anyone itself: an app
above it registers a listener from its `AppConfig.ready()` (notifications does, to tell the
buyer), and payments announces each piece of news **in the transaction of the change that makes
it** — the refund row locked, its state re-checked. The change commits once, so each piece of news
is announced once, whatever the retries, the sweeps or a worker killed mid-call (it rolls back
with the change, and the retry that makes the change again announces it then):

- `succeeded`: the state became `succeeded` (the ARN is on the refund);
- `failed`: the state became `failed` or `canceled` (the money is back in escrow, staff flagged);
- `delayed`: the refund was flagged while still open (`flagged_at` set from empty — past its
  `expected_by`, out of gateway attempts, or waiting on an action), which `Refund.delayed` and
  the order page show as "delayed". `flagged_at` is never cleared, so this happens at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["RefundChange", "RefundNews", "announce", "on_refund_news"]


class RefundNews(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DELAYED = "delayed"


@dataclass(frozen=True, slots=True)
class RefundChange:
    """One piece of news: the refund as just written and its order (store loaded)."""

    news: RefundNews
    refund: object  # souk.payments.models.Refund
    order: object  # souk.orders.models.Order


Listener = Callable[[list[RefundChange]], None]
_listeners: dict[str, Listener] = {}


def on_refund_news(name: str, listener: Listener) -> None:
    """Register `listener(changes)` (once per `name`; call from `AppConfig.ready()`). It runs inside
    the transaction of the change: write outbox rows, never do I/O."""
    _listeners[name] = listener


def announce(changes: list[RefundChange]) -> None:
    if not changes:
        return
    for listener in _listeners.values():
        listener(changes)
