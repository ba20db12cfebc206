"""Reads that tolerate lag go to the read replica; everything else to the primary.

Explicit, never implicit: a selector is marked `@tolerates_lag` (public catalog pages, the
category list, a store's reviews), and only the queries run inside such a call are routed to the
`replica` database alias (DATABASE_REPLICA_URL, souk/settings.py). Nothing about money, timers,
stock or an order's state is marked, nor any read that decides a write: those must see the
primary's latest commit. Reads inside a transaction on the primary stay on the primary (they may
need to see their own writes), and every write goes to the primary. Without DATABASE_REPLICA_URL
there is no `replica` alias and the mark changes nothing. docs/operations.md, PostgreSQL in
production, lists the marked selectors.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_LAG_OK: contextvars.ContextVar[bool] = contextvars.ContextVar("souk_lag_ok", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def using_replica() -> Iterator[None]:
    """Reads of this block may go to the replica (when one is configured)."""
    token = _LAG_OK.set(True)
    try:
        yield
    finally:
        _LAG_OK.reset(token)


def tolerates_lag(func: Callable[P, R]) -> Callable[P, R]:
    """Marks a selector whose reads may be a little behind the primary (see the module's doc)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with using_replica():
            return func(*args, **kwargs)

    wrapper.tolerates_lag = True  # type: ignore[attr-defined]
    return wrapper


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: sends marked reads to `replica`; None (the primary) for the rest."""

    def db_for_read(self, model, **hints):
        if (_LAG_OK.get() and replica_configured()
                and not connections[DEFAULT_DB_ALIAS].in_atomic_block):
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None


__all__ = ["REPLICA", "ReplicaRouter", "replica_configured", "tolerates_lag", "using_replica"]
