"""Due deadlines processed per second by the worker's sweep code path, with 1 and with 2 worker processes.

10,000 unpaid orders whose payment window has ended; each worker process calls the
payment-window sweep (`expire_unpaid_orders`: a batch per call, FOR UPDATE SKIP LOCKED)
until nothing is due. Then: every order cancelled exactly once (one Cancellation
each), stock released. The buyers are told by the notification sweep that follows
(the Cancellation rows are its outbox), measured on its own row.
"""

from __future__ import annotations

import time
from datetime import timedelta

TIMERS = 10_000


def _worker(index: int, queue, sweep_name: str) -> None:
    import django

    django.setup()
    from django.db import connections

    from souk.cancellations.services import timers

    sweep = getattr(timers, sweep_name)
    done = 0
    try:
        while True:
            n = sweep()
            if not n:
                break
            done += n
        queue.put(done)
    finally:
        connections.close_all()


def drain(workers: int, sweep_name: str = "expire_unpaid_orders") -> tuple[float, int]:
    """Run `workers` processes until no timer is due; (seconds, rows finished)."""
    import multiprocessing as mp

    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(i, queue, sweep_name)) for i in range(workers)]
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
    from souk.notifications.models import Notification

    rows = []
    for workers in (1, 2):
        call_command("flush", interactive=False, verbosity=0)
        seed_catalog()
        seed_orders(TIMERS, paid=False, pay_by_offset=-timedelta(minutes=5))
        elapsed, finished = drain(workers)
        check_once(TIMERS)
        plural = "s" if workers > 1 else ""
        rows.append(Row(f"due deadlines (payment window) by {workers} worker{plural}, "
                        f"{TIMERS:,} due, batch {setting('CANCELLATION_TIMER_BATCH')}",
                        f"{finished / elapsed:,.0f} /s", f"{elapsed:.2f}s for {finished:,}, none twice",
                        "≥ 1,000 /s with 2 workers"))
        elapsed, told = drain(workers, "notify_cancellations")
        notified = Notification.objects.filter(kind="order_cancelled_unpaid").count()
        if told != TIMERS or notified != TIMERS:
            raise RuntimeError(f"timers: {notified} buyers told, expected {TIMERS} exactly once")
        rows.append(Row(f"... their buyer notifications (in-app + email outbox) by {workers} worker{plural}",
                        f"{told / elapsed:,.0f} /s", f"{elapsed:.2f}s for {told:,}, each once", ""))
    return rows
