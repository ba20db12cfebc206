"""Orders whose escrow is frozen (an open dispute): a registry the app that freezes fills.

The seller balance page shows what each order holds and which of it is frozen. Orders owns no
dispute, and never imports the apps above it (docs/architecture.md), so the app that freezes an
order's escrow registers, from its `AppConfig.ready()`, a function that answers "which orders of
this store are frozen now?" (one query: `store_id -> set of order ids`). With nothing registered,
nothing is frozen. See docs/money.md, Seller balance.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["frozen_order_ids", "on_frozen_orders"]

FrozenOrders = Callable[[int], set[int]]
_sources: dict[str, FrozenOrders] = {}


def on_frozen_orders(name: str, source: FrozenOrders) -> None:
    """Register `source(store_id) -> set of frozen order ids` (once per `name`; call from `ready()`)."""
    _sources[name] = source


def frozen_order_ids(store_id: int) -> frozenset[int]:
    """The store's orders every registered source says are frozen."""
    found: set[int] = set()
    for source in _sources.values():
        found |= set(source(store_id))
    return frozenset(found)
