"""Due deadlines processed per second by the worker's sweep code path, with 1 and with 2 worker processes.

10,000 unpaid orders whose payment window has ended; each worker process calls the
payment-window sweep (`expire_unpaid_orders`: a batch per call, FOR UPDATE SKIP LOCKED)
until nothing is due. Then: every order cancelled exactly once (one Cancellation
each), stock released, the buyer notified.
"""

from __future__ import annotations

import time
from datetime import timedelta

TIMERS = 10_000


def _worker(index: int, queue) -> None:
    import django

    django.setup()
    from django.db import connections

    from souk.cancellations.services import expire_unpaid_orders

    done = 0
    try:
        while True:
            n = expire_unpaid_orders()
            if not n:
                break
            done += n
        queue.put(done)
    finally:
        connections.close_all()


def drain(workers: int) -> tuple[float, int]:
    """Run `workers` processes until no timer is due; (seconds, rows finished)."""
    import multiprocessing as mp

    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(i, queue)) for i in range(workers)]
    started = time.monotonic()
    for p in procs:
        p.start()
    counts = [queue.get(timeout=600) for _ in procs]
    elapsed = time.monotonic() - started
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise RuntimeError("a timer worker failed")
    return elapsed, sum(counts)


def check_once(expected: int) -> None:
    from django.db.models import Count

    from souk.cancellations.models import Cancellation
    from souk.orders.models import Order

    cancelled = Order.objects.filter(status="cancelled").count()
    twice = Cancellation.objects.values("order_id").annotate(n=Count("id")).filter(n__gt=1).count()
    if cancelled != expected or Cancellation.objects.count() != expected or twice:
        raise RuntimeError(f"timers: {cancelled} cancelled, {twice} cancelled twice; expected {expected} once each")


TITLE = "Souk deadlines: 10k due payment windows processed by the worker sweep"


def run(ctx):
    from django.core.management import call_command

    from bench.core import Row
    from bench.scenario_cancel import seed_catalog, seed_orders
    from souk.cancellations.conf import setting

    rows = []
    for workers in (1, 2):
        call_command("flush", interactive=False, verbosity=0)
        seed_catalog()
        seed_orders(TIMERS, paid=False, pay_by_offset=-timedelta(minutes=5))
        elapsed, finished = drain(workers)
        check_once(TIMERS)
        rate = finished / elapsed
        rows.append(Row(f"due deadlines (payment window) by {workers} worker{'s' if workers > 1 else ''}, "
                        f"{TIMERS:,} due, batch {setting('CANCELLATION_TIMER_BATCH')}",
                        f"{rate:,.0f} /s", f"{elapsed:.2f}s for {finished:,}, none twice",
                        "≥ 1,000 /s with 2 workers"))
    return rows
