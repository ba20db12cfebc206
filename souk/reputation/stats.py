"""Keeping `StoreDailyStats` up to date: ratings as reviews arrive, order facts by following the timeline.

Every change to an order writes an `OrderEvent` (placed, paid, shipped,
cancelled, refund settled ...), in the same transaction as the change. The
`store_daily_stats` sweep reads the events after its cursor (primary-key range,
in batches), finds the (store, UTC day) rows they touch — the day the order was
placed, the day its ship-by falls on, the day a refund settled — and
*recomputes* those rows from the source tables with index range scans. A
recomputation is idempotent, so a repeated or overlapping run is harmless and a
crash loses nothing: the cursor moves in the same transaction as the rows.

Events younger than STATS_SETTLE_SECONDS are left for the next run: an event id
is taken when its transaction inserts it, so a slow transaction may commit an
id lower than one already visible. Waiting a minute means only a transaction
held open longer than that could be skipped; `rebuild_stats()` recomputes
everything from scratch (after a bulk import, or to repair).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from souk.cancellations.models import Cancellation
from souk.cancellations.reasons import Fault
from souk.orders.models import Order, OrderEvent
from souk.orders.status import Status
from souk.payments.models import Refund
from souk.reputation.conf import setting
from souk.reputation.models import RefundFact, Review, RollupCursor, StoreDailyStats
from souk.reputation.policy import RATING_FIELDS, feedback_class, refund_bucket, utc_day

CURSOR = "order_events"
ALL_STATUSES = [s.value for s in Status]  # `status IN (all)` lets the (store, status, created_at) index serve a range
DISPUTE_COLUMNS = ["disputed", "disputes_escalated", "disputes_against_seller"]
ORDER_COLUMNS = ["orders_placed", "orders_paid", "seller_fault_cancelled", *DISPUTE_COLUMNS, "shipments_due",
                 "shipped_on_time", "refunds_settled", "refund_seconds_sum", "refund_histogram"]
RATING_COLUMNS = ["ratings_count", "ratings_positive", "ratings_neutral", "ratings_negative",
                  *[f"{name}_sum" for name in RATING_FIELDS]]


# --- Ratings: incremental, in the review's transaction ---------------------------------------

def add_rating(*, store_id: int, day: date, ratings: dict[str, int]) -> None:
    """Counts one review on its store's day. Two statements, safe under concurrency: the row is
    created if missing (a conflict is ignored) and then incremented in place by one UPDATE."""
    StoreDailyStats.objects.bulk_create([StoreDailyStats(store_id=store_id, day=day)], ignore_conflicts=True)
    kind = feedback_class(ratings["overall"])
    changes = {"ratings_count": F("ratings_count") + 1, f"ratings_{kind}": F(f"ratings_{kind}") + 1}
    changes.update({f"{name}_sum": F(f"{name}_sum") + ratings[name] for name in RATING_FIELDS})
    StoreDailyStats.objects.filter(store_id=store_id, day=day).update(**changes)


# --- Order facts: recomputed per (store, day) --------------------------------------------------

def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _seller_fault():
    return Exists(Cancellation.objects.filter(order_id=OuterRef("pk"), fault=Fault.SELLER.value))


def _had(kind: str, **data) -> Exists:
    """The order's timeline holds a `kind` event (with `data` values): disputes leave dispute_opened,
    dispute_escalated and dispute_closed {against_seller} there (docs/disputes.md, Timeline)."""
    return Exists(OrderEvent.objects.filter(order_id=OuterRef("pk"), kind=kind,
                                            **{f"data__{k}": v for k, v in data.items()}))


def _dispute_counts() -> dict:
    return {"disputed": Count("pk", filter=_had("dispute_opened")),
            "escalated": Count("pk", filter=_had("dispute_escalated")),
            "against": Count("pk", filter=_had("dispute_closed", against_seller=True))}


def _ship_due(now: datetime) -> Q:
    """Shipped, or still not shipped when ship-by passed (cancelled after it, or still open)."""
    return Q(shipped_at__isnull=False) | (
        Q(ship_by__lte=now) & (Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=F("ship_by"))))


def _on_time() -> Q:
    return Q(shipped_at__isnull=False, shipped_at__lte=F("ship_by"))


def _empty() -> dict:
    return {"orders_placed": 0, "orders_paid": 0, "seller_fault_cancelled": 0, "disputed": 0,
            "disputes_escalated": 0, "disputes_against_seller": 0, "shipments_due": 0,
            "shipped_on_time": 0, "refunds_settled": 0, "refund_seconds_sum": 0, "refund_histogram": {}}


def _add_refund(row: dict, seconds: int) -> None:
    row["refunds_settled"] += 1
    row["refund_seconds_sum"] += seconds
    key = str(refund_bucket(seconds))
    row["refund_histogram"][key] = row["refund_histogram"].get(key, 0) + 1


def day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days merged into runs of consecutive days: [(first, last), ...]."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _any_of(branches: list[Q]) -> Q:
    q = branches[0]
    for branch in branches[1:]:
        q |= branch
    return q


def recompute_days(*, store_id: int, days: Iterable[date], now: datetime | None = None) -> int:
    """Recomputes the order columns of the store's rows for `days` from the source tables.

    Three queries. Each run of consecutive days is one index range scan over the store's orders
    (`status IN (all)` lets the (store, status, created_at) index serve it; ship-by days look
    STATS_SHIP_LOOKBACK_DAYS further back) or refund facts, so the cost follows the days touched,
    not the store's history. Returns rows written.
    """
    now = now or timezone.now()
    runs = day_ranges(days)
    if not runs:
        return 0
    rows = {day: _empty() for first, last in runs for day in _each_day(first, last)}
    scope = {"store_id": store_id, "status__in": ALL_STATUSES}
    placed = (Order.objects.filter(_any_of([Q(**scope, created_at__gte=_start(first),
                                              created_at__lt=_start(last + timedelta(days=1)))
                                            for first, last in runs]))
              .annotate(day=TruncDate("created_at", tzinfo=UTC)).values("day").order_by()
              .annotate(placed=Count("pk"), paid=Count("pk", filter=Q(paid_at__isnull=False)),
                        sfc=Count("pk", filter=_seller_fault()), **_dispute_counts()))
    for r in placed:
        if r["day"] in rows:
            rows[r["day"]].update(orders_placed=r["placed"], orders_paid=r["paid"], seller_fault_cancelled=r["sfc"],
                                  disputed=r["disputed"], disputes_escalated=r["escalated"],
                                  disputes_against_seller=r["against"])
    lookback = timedelta(days=setting("STATS_SHIP_LOOKBACK_DAYS"))
    shipping = (Order.objects.filter(_any_of([
                    Q(**scope, created_at__gte=_start(first) - lookback, created_at__lt=_start(last + timedelta(days=1)),
                      ship_by__gte=_start(first), ship_by__lt=_start(last + timedelta(days=1)))
                    for first, last in runs]))
                .annotate(day=TruncDate("ship_by", tzinfo=UTC)).values("day").order_by()
                .annotate(due=Count("pk", filter=_ship_due(now)), on_time=Count("pk", filter=_on_time())))
    for r in shipping:
        if r["day"] in rows:
            rows[r["day"]].update(shipments_due=r["due"], shipped_on_time=r["on_time"])
    for day, seconds in RefundFact.objects.filter(store_id=store_id, settled_on__in=list(rows)).values_list(
            "settled_on", "seconds"):
        _add_refund(rows[day], seconds)
    StoreDailyStats.objects.bulk_create(
        [StoreDailyStats(store_id=store_id, day=day, **cols) for day, cols in rows.items()],
        update_conflicts=True, unique_fields=["store", "day"], update_fields=ORDER_COLUMNS)
    return len(rows)


def _each_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _file_refunds(refunds) -> list[tuple[int, date]]:
    """Records these (settled) refunds as RefundFacts; returns their (store, day)s."""
    facts = [RefundFact(refund_id=pk, store_id=store_id, settled_on=utc_day(settled),
                        seconds=max(0, int((settled - created).total_seconds())))
             for pk, store_id, created, settled in refunds.filter(
                 state=Refund.State.SUCCEEDED, settled_at__isnull=False)
             .values_list("pk", "order__store_id", "created_at", "settled_at").iterator(chunk_size=5000)]
    if facts:
        RefundFact.objects.bulk_create(facts, update_conflicts=True, unique_fields=["refund_id"],
                                       update_fields=["store", "settled_on", "seconds"], batch_size=5000)
    return [(f.store_id, f.settled_on) for f in facts]


def rollup_events(*, now: datetime | None = None, batch: int | None = None,
                  settle_seconds: float | None = None) -> int:
    """The sweep: rolls up one batch of timeline events into the daily stats. Returns events read."""
    now = now or timezone.now()
    batch = batch or setting("STATS_BATCH")
    settle = setting("STATS_SETTLE_SECONDS") if settle_seconds is None else settle_seconds
    settled_before = now - timedelta(seconds=settle)
    with transaction.atomic():
        RollupCursor.objects.bulk_create([RollupCursor(name=CURSOR)], ignore_conflicts=True)
        cursor = RollupCursor.objects.select_for_update().get(name=CURSOR)
        events = []
        for pk, order_id, kind, created_at in (OrderEvent.objects.filter(pk__gt=cursor.last_id).order_by("pk")
                                               .values_list("pk", "order_id", "kind", "created_at")[:batch]):
            if created_at > settled_before:
                break
            events.append((pk, order_id, kind))
        if not events:
            return 0
        dirty: dict[int, set[date]] = defaultdict(set)
        for store_id, created_at, ship_by in Order.objects.filter(pk__in={e[1] for e in events}).values_list(
                "store_id", "created_at", "ship_by"):
            dirty[store_id].add(utc_day(created_at))
            if ship_by is not None:
                dirty[store_id].add(utc_day(ship_by))
        refunded = {order_id for _, order_id, kind in events if kind.startswith("refund")}
        for store_id, day in _file_refunds(Refund.objects.filter(order_id__in=refunded)) if refunded else []:
            dirty[store_id].add(day)
        for store_id, days in dirty.items():
            recompute_days(store_id=store_id, days=days, now=now)
        cursor.last_id = events[-1][0]
        cursor.save(update_fields=["last_id", "updated_at"])
    return len(events)


# --- Everything from scratch ------------------------------------------------------------------

def _upsert_from(qs, columns: list[str]) -> None:
    """INSERT INTO the stats table the rows of `qs` (a values() query whose output is store_id, day,
    then `columns`), updating `columns` where a (store, day) row exists. One statement, set-based:
    the ORM writes the SELECT for the database in use."""
    table = StoreDailyStats._meta.db_table
    select, params = qs.query.sql_with_params()
    names = ", ".join(["store_id", "day", *columns])
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns)
    sql = (f"INSERT INTO {table} ({names}) SELECT * FROM ({select}) AS q WHERE true "
           f"ON CONFLICT (store_id, day) DO UPDATE SET {updates}")
    with connection.cursor() as cur:
        cur.execute(sql, params)


def rebuild_stats(*, now: datetime | None = None) -> int:
    """Recomputes every store's daily stats (ratings and order facts) with set-based statements.

    For a bulk import or a repair, with writers quiet (a review counted while it runs may be lost);
    the sweep then carries on from the newest event. Returns the number of rows.
    """
    now = now or timezone.now()
    with transaction.atomic():
        RollupCursor.objects.bulk_create([RollupCursor(name=CURSOR)], ignore_conflicts=True)
        cursor = RollupCursor.objects.select_for_update().get(name=CURSOR)
        cursor.last_id = OrderEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        StoreDailyStats.objects.all().delete()
        RefundFact.objects.all().delete()
        _upsert_from(Order.objects.annotate(day=TruncDate("created_at", tzinfo=UTC)).values("store_id", "day")
                     .order_by().annotate(placed=Count("pk"), paid=Count("pk", filter=Q(paid_at__isnull=False)),
                                          sfc=Count("pk", filter=_seller_fault()), **_dispute_counts()),
                     ["orders_placed", "orders_paid", "seller_fault_cancelled", *DISPUTE_COLUMNS])
        _upsert_from(Order.objects.filter(ship_by__isnull=False).annotate(day=TruncDate("ship_by", tzinfo=UTC))
                     .values("store_id", "day").order_by()
                     .annotate(due=Count("pk", filter=_ship_due(now)), on_time=Count("pk", filter=_on_time())),
                     ["shipments_due", "shipped_on_time"])
        _upsert_from(Review.objects.annotate(day=TruncDate("created_at", tzinfo=UTC)).values("store_id", "day")
                     .order_by().annotate(n=Count("pk"), pos=Count("pk", filter=Q(overall__gte=4)),
                                          neu=Count("pk", filter=Q(overall=3)),
                                          neg=Count("pk", filter=Q(overall__lte=2)),
                                          **{f"s_{name}": Sum(name) for name in RATING_FIELDS}),
                     RATING_COLUMNS)
        _file_refunds(Refund.objects.all())
        refunds: dict[tuple[int, date], dict] = defaultdict(_empty)
        for store_id, day, seconds in RefundFact.objects.values_list("store_id", "settled_on", "seconds").iterator(
                chunk_size=5000):
            _add_refund(refunds[(store_id, day)], seconds)
        StoreDailyStats.objects.bulk_create(
            [StoreDailyStats(store_id=store_id, day=day, refunds_settled=r["refunds_settled"],
                             refund_seconds_sum=r["refund_seconds_sum"], refund_histogram=r["refund_histogram"])
             for (store_id, day), r in refunds.items()],
            update_conflicts=True, unique_fields=["store", "day"],
            update_fields=["refunds_settled", "refund_seconds_sum", "refund_histogram"], batch_size=5000)
        cursor.save(update_fields=["last_id", "updated_at"])
    return StoreDailyStats.objects.count()
