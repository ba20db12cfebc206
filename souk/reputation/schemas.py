"""API shapes for reviews and seller metrics."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

from ninja import Field, Schema

from souk.reputation.selectors import ReviewPage, ReviewRow, StoreMetrics


class ReviewIn(Schema):
    overall: int
    item_as_described: int
    communication: int
    shipping_speed: int
    text: str = ""


class ReplyIn(Schema):
    text: str


class ReplyOut(Schema):
    text: str
    replied_at: datetime


class ReviewOut(Schema):
    id: int
    buyer_name: str
    overall: int
    item_as_described: int
    communication: int
    shipping_speed: int
    text: str
    created_at: datetime
    reply: ReplyOut | None


class ReviewPageOut(Schema):
    items: list[ReviewOut]
    next_cursor: str | None


def review_out(row: ReviewRow) -> dict:
    data = asdict(row)
    reply_text, replied_at = data.pop("reply_text"), data.pop("replied_at")
    data["reply"] = {"text": reply_text, "replied_at": replied_at} if replied_at else None
    return data


def page_out(page: ReviewPage) -> dict:
    return {"items": [review_out(r) for r in page.items], "next_cursor": page.next_cursor}


class RatingsOut(Schema):
    window_from: date
    count: int
    positive: int
    neutral: int
    negative: int
    positive_feedback_pct: float | None
    avg_overall: float | None
    avg_item_as_described: float | None
    avg_communication: float | None
    avg_shipping_speed: float | None


class FulfilmentOut(Schema):
    window_from: date
    orders_paid: int
    seller_fault_cancelled: int
    cancellation_rate_pct: float | None
    disputed: int = Field(description="orders in the window with a dispute opened (docs/disputes.md)")
    dispute_rate_pct: float | None = Field(description="disputed / paid orders")
    disputes_escalated: int
    escalation_rate_pct: float | None = Field(description="escalated to Souk / disputed")
    disputes_against_seller: int
    against_seller_pct: float | None = Field(description="decided against the seller (a refund) / disputed")
    shipments_due: int
    shipped_on_time: int
    on_time_shipping_pct: float | None
    refunds_settled: int
    median_refund_seconds: int | None
    median_refund_label: str


class StoreMetricsOut(Schema):
    store_id: int
    as_of: datetime
    ratings: RatingsOut
    fulfilment: FulfilmentOut


def metrics_out(m: StoreMetrics) -> dict:
    return {
        "store_id": m.store_id, "as_of": m.as_of,
        "ratings": {"window_from": m.ratings_from, "count": m.ratings_count, "positive": m.ratings_positive,
                    "neutral": m.ratings_neutral, "negative": m.ratings_negative,
                    "positive_feedback_pct": m.positive_feedback_pct, "avg_overall": m.avg_overall,
                    "avg_item_as_described": m.avg_item_as_described, "avg_communication": m.avg_communication,
                    "avg_shipping_speed": m.avg_shipping_speed},
        "fulfilment": {"window_from": m.orders_from, "orders_paid": m.orders_paid,
                       "seller_fault_cancelled": m.seller_fault_cancelled,
                       "cancellation_rate_pct": m.cancellation_rate_pct, "disputed": m.disputed,
                       "dispute_rate_pct": m.dispute_rate_pct, "disputes_escalated": m.disputes_escalated,
                       "escalation_rate_pct": m.escalation_rate_pct,
                       "disputes_against_seller": m.disputes_against_seller,
                       "against_seller_pct": m.against_seller_pct, "shipments_due": m.shipments_due,
                       "shipped_on_time": m.shipped_on_time, "on_time_shipping_pct": m.on_time_shipping_pct,
                       "refunds_settled": m.refunds_settled, "median_refund_seconds": m.median_refund_seconds,
                       "median_refund_label": m.median_refund_label},
    }
