"""Runs a Souk scenario with N client processes for T seconds and counts completed operations.

Processes, not threads: Python time is what we measure, and the GIL would turn
8 threads into one core. Each process opens its own database connection.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable


def _client(fn: Callable[[int, float], int], index: int, seconds: float, queue) -> None:
    import django

    django.setup()
    from django.db import connections

    deadline = time.monotonic() + seconds
    try:
        queue.put(fn(index, deadline))
    finally:
        connections.close_all()


def run_clients(fn: Callable[[int, float], int], *, clients: int, seconds: float) -> float:
    """Operations per second over all clients. `fn(index, deadline)` loops until the deadline, returns its count."""
    from django.db import connections

    connections.close_all()  # never share a connection across fork
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(fn, i, seconds, queue)) for i in range(clients)]
    started = time.monotonic()
    for p in procs:
        p.start()
    counts = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    if any(p.exitcode for p in procs):
        raise RuntimeError("a benchmark client failed")
    return sum(counts) / max(elapsed, seconds)
