"""Runs a Souk scenario with N client processes for T seconds and counts completed operations.

Processes, not threads: Python time is what we measure, and the GIL would turn
8 threads into one core. Each process opens its own database connection and keeps it
(like pgbench's clients, whose connection time pgbench leaves out of its tps).

Like pgbench, only the operations are timed: every process first runs `django.setup()`
and the client's own preparation (looking up its buyer, its products...), then all wait
at a barrier and start together; the rate is the operations completed by all processes
divided by the time from that common start to the last process's end.

A client is either

- a *preparer* (marked with `@per_operation`): `prepare(index) -> op`, where `op()` does
  exactly one operation; the harness loops over it until the deadline, or
- a *loop*: `fn(index, deadline) -> count`, which loops itself; anything it does before
  its loop (its preparation) is timed too, so prefer a preparer.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_module
import threading
import time
from collections.abc import Callable
from typing import Any

BARRIER_TIMEOUT = 120


def per_operation(prepare: Callable[[int], Callable[[], Any]]) -> Callable[[int], Callable[[], Any]]:
    """Mark `prepare(index) -> op` as a preparer: the harness times only the calls to `op()`."""
    prepare.per_operation = True  # type: ignore[attr-defined]
    return prepare


def _client(fn: Callable, index: int, seconds: float, barrier: threading.Barrier, queue) -> None:
    import django

    try:
        django.setup()
        if getattr(fn, "per_operation", False):
            op = fn(index)
            barrier.wait(BARRIER_TIMEOUT)
            started = time.monotonic()
            deadline = started + seconds
            done = 0
            while time.monotonic() < deadline:
                op()
                done += 1
        else:
            barrier.wait(BARRIER_TIMEOUT)
            started = time.monotonic()
            done = fn(index, started + seconds)
        queue.put((done, started, time.monotonic()))
    except BaseException:
        barrier.abort()  # the others stop waiting; the parent sees this process's exit code
        raise
    finally:
        from django.db import connections

        connections.close_all()


def run_clients(fn: Callable, *, clients: int, seconds: float) -> float:
    """Operations per second over all clients, timed from their common start (see the module doc)."""
    from django.db import connections

    connections.close_all()  # never share a connection across fork
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    barrier = ctx.Barrier(clients)
    procs = [ctx.Process(target=_client, args=(fn, i, seconds, barrier, queue)) for i in range(clients)]
    for p in procs:
        p.start()
    results = []
    try:
        for _ in procs:
            results.append(queue.get(timeout=seconds + BARRIER_TIMEOUT + 60))
    except queue_module.Empty:
        pass
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs) or len(results) != clients:
        raise RuntimeError("a benchmark client failed")
    elapsed = max(end for _, _, end in results) - min(start for _, start, _ in results)
    return sum(done for done, _, _ in results) / max(elapsed, seconds)
