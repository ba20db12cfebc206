"""Periodic sweeps: the safety net behind every timer (docs/architecture.md, Timers and side
effects; docs/operations.md lists every sweep).

A deadline lives as a column on a domain row; a task with `run_after` is the
fast path. A sweep selects what is due and unfinished and finishes it in
batches, so the right end state is reached even after a worker crash or a lost
task. Apps register their sweeps in `AppConfig.ready()`:

    register_sweep("payment_window", expire_unpaid_orders, every_seconds=30)

A sweep function takes no arguments, processes at most one batch, and returns
how many rows it finished; `run_due_sweeps` calls it again while it keeps
finding work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger("souk.sweeps")


@dataclass
class Sweep:
    name: str
    func: Callable[[], int]
    every_seconds: float
    last_run: float = field(default=0.0)


_REGISTRY: dict[str, Sweep] = {}


def register_sweep(name: str, func: Callable[[], int], *, every_seconds: float = 30.0) -> None:
    _REGISTRY[name] = Sweep(name=name, func=func, every_seconds=every_seconds)


def registered_sweeps() -> list[Sweep]:
    return list(_REGISTRY.values())


def run_due_sweeps(*, now: float | None = None, force: bool = False, max_batches: int = 50) -> dict[str, int]:
    """Runs every sweep whose interval has passed; returns rows finished per sweep."""
    now = time.monotonic() if now is None else now
    done: dict[str, int] = {}
    for sweep in registered_sweeps():
        if not force and now - sweep.last_run < sweep.every_seconds:
            continue
        sweep.last_run = now
        total = 0
        try:
            for _ in range(max_batches):
                finished = sweep.func()
                total += finished
                if not finished:
                    break
        except Exception:  # one broken sweep must not stop the others
            logger.exception("sweep %s failed", sweep.name)
        if total:
            logger.info("sweep %s finished %d", sweep.name, total)
        done[sweep.name] = total
    return done
