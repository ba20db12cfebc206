"""Reputation API: a store's metrics and reviews (public), reviewing an order, replying to a review."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema, Status

from souk.core.schemas import TIME_CURSOR_PATTERN, stated
from souk.orders.selectors import order_id_for
from souk.reputation import schemas as s
from souk.reputation import selectors, services

router = Router(tags=["reputation"])


class PageParams(Schema):
    cursor: str | None = Field(None, json_schema_extra=stated(pattern=TIME_CURSOR_PATTERN),
                               description="`next_cursor` of the previous page (422 `invalid_cursor` otherwise)")
    limit: int = Field(20, json_schema_extra=stated(ge=1, le=selectors.MAX_LIMIT),
                       description="422 `invalid_limit` outside")


@router.get("/stores/{slug}/metrics", auth=None, response=s.StoreMetricsOut,
            summary="A store's seller metrics: feedback, ratings, cancellation rate, on-time shipping, refunds")
def store_metrics(request, slug: str):
    return s.metrics_out(selectors.store_metrics(store_id=selectors.store_id_for_slug(slug=slug)))


@router.get("/stores/{slug}/reviews", auth=None, response=s.ReviewPageOut,
            summary="A store's reviews, newest first, cursor-paginated")
def store_reviews(request, slug: str, params: Query[PageParams]):
    page = selectors.store_reviews(store_id=selectors.store_id_for_slug(slug=slug), cursor=params.cursor,
                                   limit=params.limit)
    return s.page_out(page)


@router.post("/orders/{number}/review", response={201: s.ReviewOut},
             summary="Review your completed order (once, within the review window)")
def review_order(request, number: str, payload: s.ReviewIn):
    order_id = order_id_for(number=number, buyer=request.user)
    review = services.review_create(buyer=request.user, order_id=order_id, overall=payload.overall,
                                    item_as_described=payload.item_as_described,
                                    communication=payload.communication, shipping_speed=payload.shipping_speed,
                                    text=payload.text)
    return Status(201, s.review_out(selectors.review_row(review_id=review.pk, buyer=request.user)))


@router.post("/seller/reviews/{review_id}/reply", response=s.ReviewOut,
             summary="Reply to a review of your store (once)")
def reply_to_review(request, review_id: int, payload: s.ReplyIn):
    services.review_reply(seller=request.user, review_id=review_id, text=payload.text)
    return s.review_out(selectors.review_row(review_id=review_id, store__owner=request.user))
