"""`/metrics`: Prometheus text (docs/operations.md, Metrics).

Request latency per route comes from souk.core.metrics (per node: all gunicorn workers with
PROMETHEUS_MULTIPROC_DIR). The business figures are counts in the shared database, asked of each
owner (`souk/<app>/metrics.py`) at scrape time; the rendered block is kept in the shared cache for
`SOUK_METRICS_CACHE_SECONDS`, so scraping N nodes costs one set of counts per interval. Every query is
a count or a GROUP BY over a status column, most on a partial index of the due rows.
"""

from __future__ import annotations

import contextlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from souk.cancellations import metrics as cancellations
from souk.compliance import metrics as compliance
from souk.core import queue
from souk.core.metrics import families_text, gauge, process_metrics_text
from souk.notifications import metrics as notifications
from souk.orders import metrics as orders
from souk.payments import metrics as payments

logger = logging.getLogger("souk.metrics")
CACHE_KEY = "metrics:business:v1"


def business_families() -> list:
    now = timezone.now()
    due: dict[str, int] = {}
    for owner in (orders, cancellations, payments, compliance, notifications):
        due.update(owner.deadlines_due(now))
    audit = queue.last_audit()
    families = [
        gauge("souk_orders", "Orders placed, by their status now.", ["status"],
              (((s,), n) for s, n in sorted(orders.orders_by_status().items()))),
        gauge("souk_cancellations", "Cancellations so far, by reason (outcome), fault and who cancelled.",
              ["reason", "fault", "actor"],
              (((r, f, a), n) for r, f, a, n in sorted(cancellations.cancellations_by_outcome()))),
        gauge("souk_cancellation_requests", "Cancellation requests by outcome.", ["state"],
              (((s,), n) for s, n in sorted(cancellations.requests_by_state().items()))),
        gauge("souk_refunds", "Refunds by state.", ["state"],
              (((s,), n) for s, n in sorted(payments.refunds_by_state().items()))),
        gauge("souk_refunds_open", "Refunds not settled yet, by state and age since requested.", ["state", "age"],
              (((s, a), n) for s, a, n in payments.open_refunds_by_age(now))),
        gauge("souk_deadlines_due", "Rows past their deadline that the sweep has not processed yet.", ["sweep"],
              (((s,), n) for s, n in sorted(due.items()))),
        gauge("souk_tasks", "Background tasks not finished, by queue and state (ready, scheduled, running).",
              ["queue", "state"], (((q, s), n) for q, s, n in queue.task_counts(now))),
        gauge("souk_workers_alive", "`souk worker` processes with a fresh heartbeat.", [],
              [((), queue.workers_alive(now))]),
        gauge("souk_audit_clean", "1 if the last `souk audit` was clean, 0 if it found a broken invariant.", [],
              [((), 1 if audit and audit.clean else 0)] if audit else []),
        gauge("souk_audit_findings", "Broken invariants the last `souk audit` found.", [],
              [((), audit.findings)] if audit else []),
        gauge("souk_audit_last_run_timestamp_seconds", "When the last `souk audit` ran (Unix time).", [],
              [((), audit.ran_at.timestamp())] if audit else []),
    ]
    return families


def business_text() -> bytes:
    seconds = settings.METRICS_CACHE_SECONDS
    if seconds > 0:
        try:
            cached = cache.get(CACHE_KEY)
        except Exception:
            cached = None
        if cached is not None:
            return cached
    started = time.perf_counter()
    try:
        families = business_families()
        up = 1
    except Exception:
        logger.exception("business metrics failed")
        families, up = [], 0
    families += [
        gauge("souk_metrics_business_up", "1 if the business figures could be read from the database.", [],
              [((), up)]),
        gauge("souk_metrics_business_seconds", "Time the business figures took to read.", [],
              [((), time.perf_counter() - started)]),
    ]
    text = families_text(families)
    if up and seconds > 0:
        with contextlib.suppress(Exception):  # a cache away costs only the next scrape's counts
            cache.set(CACHE_KEY, text, timeout=seconds)
    return text


def metrics_text() -> bytes:
    return process_metrics_text() + business_text()
