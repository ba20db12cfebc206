"""Reads: a store's seller metrics (from the daily stats, at most ~185 small rows) and its reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from souk.catalog.models import Store
from souk.core.cursors import decode_cursor, encode_cursor
from souk.core.errors import NotFound, ValidationFailed
from souk.core.replica import tolerates_lag
from souk.reputation.conf import setting
from souk.reputation.models import Review, StoreDailyStats
from souk.reputation.policy import (
    RATING_FIELDS,
    average,
    decide_review,
    duration_label,
    median_upper_edge,
    merge_histograms,
    percent,
    windows,
)

MAX_LIMIT = 50


@dataclass(frozen=True)
class StoreMetrics:
    """A store's public record. Percentages have one decimal and are None when nothing was measured."""

    store_id: int
    as_of: datetime
    # Ratings: reviews written on UTC days ratings_from..today (inclusive).
    ratings_from: date
    ratings_count: int
    ratings_positive: int
    ratings_neutral: int
    ratings_negative: int
    positive_feedback_pct: float | None
    avg_overall: float | None
    avg_item_as_described: float | None
    avg_communication: float | None
    avg_shipping_speed: float | None
    # Orders: UTC days orders_from..today (inclusive).
    orders_from: date
    orders_paid: int
    seller_fault_cancelled: int
    cancellation_rate_pct: float | None
    # Disputes of the orders placed in the window (docs/disputes.md): share of paid orders disputed,
    # share of disputes escalated to Souk, share decided against the seller (a refund).
    disputed: int
    dispute_rate_pct: float | None
    disputes_escalated: int
    escalation_rate_pct: float | None
    disputes_against_seller: int
    against_seller_pct: float | None
    shipments_due: int
    shipped_on_time: int
    on_time_shipping_pct: float | None
    refunds_settled: int
    median_refund_seconds: int | None  # upper edge of the bucket holding the median refund

    @property
    def median_refund_label(self) -> str:
        return duration_label(self.median_refund_seconds)


@dataclass(frozen=True)
class SellerCard:
    """What a product page shows about its seller."""

    store_id: int
    positive_feedback_pct: float | None
    ratings_count: int
    avg_overall: float | None
    cancellation_rate_pct: float | None
    on_time_shipping_pct: float | None


_RATING_SUMS = [f"{name}_sum" for name in RATING_FIELDS]
_COLUMNS = ("day", "ratings_count", "ratings_positive", "ratings_neutral", "ratings_negative", *_RATING_SUMS,
            "orders_paid", "seller_fault_cancelled", "shipments_due", "shipped_on_time", "refunds_settled",
            "disputed", "disputes_escalated", "disputes_against_seller", "refund_histogram")


def store_metrics(*, store_id: int, now: datetime | None = None) -> StoreMetrics:
    """One query over the store's daily stats rows inside the windows (≤ 185 rows, whatever the order count)."""
    now = now or timezone.now()
    win = windows(now, ratings_months=setting("RATINGS_WINDOW_MONTHS"), orders_days=setting("ORDERS_WINDOW_DAYS"))
    rows = (StoreDailyStats.objects.filter(store_id=store_id, day__gte=win.earliest, day__lte=win.today)
            .order_by().values_list(*_COLUMNS))
    ratings = [0] * (4 + len(_RATING_SUMS))
    orders = [0] * 8
    histograms = []
    for row in rows:
        day = row[0]
        if day >= win.ratings_from:
            for i in range(len(ratings)):
                ratings[i] += row[1 + i]
        if day >= win.orders_from:
            base = 1 + len(ratings)
            for i in range(len(orders)):
                orders[i] += row[base + i]
            if row[-1]:
                histograms.append(row[-1])
    count, positive, neutral, negative, *sums = ratings
    paid, sfc, due, on_time, refunds, disputed, escalated, against = orders
    averages = {name: average(total, count) for name, total in zip(RATING_FIELDS, sums, strict=True)}
    return StoreMetrics(
        store_id=store_id, as_of=now, ratings_from=win.ratings_from, ratings_count=count,
        ratings_positive=positive, ratings_neutral=neutral, ratings_negative=negative,
        positive_feedback_pct=percent(positive, count), avg_overall=averages["overall"],
        avg_item_as_described=averages["item_as_described"], avg_communication=averages["communication"],
        avg_shipping_speed=averages["shipping_speed"], orders_from=win.orders_from, orders_paid=paid,
        seller_fault_cancelled=sfc, cancellation_rate_pct=percent(sfc, paid), disputed=disputed,
        dispute_rate_pct=percent(disputed, paid), disputes_escalated=escalated,
        escalation_rate_pct=percent(escalated, disputed), disputes_against_seller=against,
        against_seller_pct=percent(against, disputed), shipments_due=due,
        shipped_on_time=on_time, on_time_shipping_pct=percent(on_time, due), refunds_settled=refunds,
        median_refund_seconds=median_upper_edge(merge_histograms(histograms)))


def seller_card(*, store_id: int, now: datetime | None = None) -> SellerCard:
    m = store_metrics(store_id=store_id, now=now)
    return SellerCard(store_id=store_id, positive_feedback_pct=m.positive_feedback_pct,
                      ratings_count=m.ratings_count, avg_overall=m.avg_overall,
                      cancellation_rate_pct=m.cancellation_rate_pct, on_time_shipping_pct=m.on_time_shipping_pct)


def store_id_for_slug(*, slug: str) -> int:
    pk = Store.objects.filter(slug=slug, is_active=True).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound("Store not found.", code="store_not_found")
    return pk


# --- Reviews ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewRow:
    id: int
    overall: int
    item_as_described: int
    communication: int
    shipping_speed: int
    text: str
    created_at: datetime
    reply_text: str
    replied_at: datetime | None
    buyer_name: str


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewRow]
    next_cursor: str | None


def masked_name(display_name: str, first_name: str, last_name: str, email: str) -> str:
    """A reviewer shown as "A***e": enough to tell reviews apart, not enough to find the person."""
    name = (display_name or f"{first_name} {last_name}".strip() or email.split("@")[0]).strip()
    if len(name) <= 2:
        return name[:1] + "***"
    return f"{name[0]}***{name[-1]}"


_REVIEW_FIELDS = ("pk", "overall", "item_as_described", "communication", "shipping_speed", "text", "created_at",
                  "reply_text", "replied_at", "buyer__display_name", "buyer__first_name", "buyer__last_name",
                  "buyer__email")


@tolerates_lag
def store_reviews(*, store_id: int, cursor: str | None = None, limit: int = 20) -> ReviewPage:
    """The store's reviews, newest first: one query per page, keyset on (created_at, id)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"Limit must be between 1 and {MAX_LIMIT}.", code="invalid_limit", field="limit")
    qs = Review.objects.filter(store_id=store_id)
    if cursor:
        created_at, pk = decode_cursor(cursor)
        qs = qs.filter(created_at__lte=created_at).exclude(created_at=created_at, pk__gte=pk)
    rows = [ReviewRow(*row[:9], buyer_name=masked_name(*row[9:]))
            for row in qs.order_by("-created_at", "-pk").values_list(*_REVIEW_FIELDS)[:limit + 1]]
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return ReviewPage(items=rows[:limit], next_cursor=next_cursor)


def review_row(*, review_id: int, **visibility) -> ReviewRow:
    """One review as lists show it, visible with `visibility` (store__owner=..., buyer=...): one query."""
    row = Review.objects.filter(pk=review_id, **visibility).values_list(*_REVIEW_FIELDS).first()
    if row is None:
        raise NotFound("Review not found.", code="review_not_found")
    return ReviewRow(*row[:9], buyer_name=masked_name(*row[9:]))


@dataclass(frozen=True)
class OrderReview:
    """What an order page shows about reviewing it: the form (allowed), the review, or why not."""

    allowed: bool
    why_not: str
    code: str
    closes_at: datetime | None
    review: ReviewRow | None


def order_review(*, order, now: datetime | None = None) -> OrderReview:
    """For the order's page (the caller already checked the order is the viewer's): one query."""
    row = Review.objects.filter(order_id=order.pk).values_list(*_REVIEW_FIELDS).first()
    review = ReviewRow(*row[:9], buyer_name=masked_name(*row[9:])) if row else None
    d = decide_review(status=order.status, completed_at=order.completed_at, already_reviewed=review is not None,
                      now=now or timezone.now(), window_days=setting("REVIEW_WINDOW_DAYS"))
    return OrderReview(allowed=d.allowed, why_not=d.why_not, code=d.code, closes_at=d.closes_at, review=review)
