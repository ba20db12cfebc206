"""An order's clocks: deadline columns on the order whose timers other apps own.

Entering a status starts (or restarts) that status's clock: `awaiting_shipment` runs the seller's
ship-by clock (`ship_by`, whose timer cancellations owns: a missed deadline cancels the order),
`awaiting_delivery` runs buyer protection (`protection_ends_at`, whose timer payments owns: when it
ends the order completes and escrow is released). `transition()` calls the timer that app
registered here from its `AppConfig.ready()`, in the transaction of the change, so the timer's task
row commits with it. Orders never imports the apps above it (docs/architecture.md); the column is
the truth and each owner's sweep finishes what a lost task missed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from souk.orders.status import Status

__all__ = ["STATUS_CLOCKS", "on_clock", "start_clock"]

STATUS_CLOCKS: dict[Status, str] = {
    Status.AWAITING_SHIPMENT: "ship_by",
    Status.AWAITING_DELIVERY: "protection_ends_at",
}

Timer = Callable[[int, datetime], None]
_timers: dict[str, dict[str, Timer]] = {column: {} for column in STATUS_CLOCKS.values()}


def on_clock(column: str, name: str, timer: Timer) -> None:
    """Register `timer(order_id, at)` for the clock `column` (once per `name`; call from `ready()`)."""
    if column not in _timers:
        raise ValueError(f"{column!r} is not an order clock; one of {sorted(_timers)}")
    _timers[column][name] = timer


def start_clock(order_id: int, column: str, at: datetime | None) -> None:
    """The clock `column` of the order now runs until `at`: every registered timer is scheduled."""
    if at is None:
        return
    for timer in _timers[column].values():
        timer(order_id, at)
