"""Reviews: a buyer rates a completed order once; the seller replies once."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from souk.core.errors import Conflict, ErrorCollector, NotFound
from souk.orders.models import Order
from souk.reputation import stats
from souk.reputation.conf import setting
from souk.reputation.models import Review
from souk.reputation.policy import RATING_FIELDS, check_ratings, check_text, decide_review, utc_day


def _already_reviewed() -> Conflict:  # the race: a twin request inserted first
    return Conflict("You have already reviewed this order.", code="already_reviewed")


def review_create(*, buyer, order_id: int, overall: int, item_as_described: int, communication: int,
                  shipping_speed: int, text: str = "", now: datetime | None = None) -> Review:
    """The buyer rates their completed order (1–5★ overall and per detail) within the review window.

    Someone else's order is NotFound; bad ratings or text are 422 naming the field; an order not
    completed is 409 `order_not_completed`, past the window 409 `review_window_closed`, a second
    review 409 `already_reviewed`. The store's daily stats are counted in the same transaction.
    """
    now = now or timezone.now()
    ratings = {"overall": overall, "item_as_described": item_as_described, "communication": communication,
               "shipping_speed": shipping_speed}
    with transaction.atomic():
        order = (Order.objects.select_for_update().filter(pk=order_id, buyer=buyer)
                 .only("pk", "store_id", "status", "completed_at").first())
        if order is None:
            raise NotFound("Order not found.", code="order_not_found")
        errors = ErrorCollector()
        check_ratings(ratings, errors)
        text = check_text(text, errors)
        errors.raise_if_any()
        decision = decide_review(status=order.status, completed_at=order.completed_at, now=now,
                                 already_reviewed=Review.objects.filter(order_id=order.pk).exists(),
                                 window_days=setting("REVIEW_WINDOW_DAYS"))
        if not decision.allowed:
            raise Conflict(decision.why_not, code=decision.code)
        try:
            with transaction.atomic():
                review = Review.objects.create(order_id=order.pk, store_id=order.store_id, buyer=buyer, text=text,
                                               created_at=now, **{name: ratings[name] for name in RATING_FIELDS})
        except IntegrityError:  # the one-to-one on order: a twin request won the race
            raise _already_reviewed() from None
        stats.add_rating(store_id=order.store_id, day=utc_day(now), ratings=ratings)
    return review


def review_reply(*, seller, review_id: int, text: str, now: datetime | None = None) -> Review:
    """The store owner answers a review of their store, once (409 `already_replied` after that)."""
    now = now or timezone.now()
    with transaction.atomic():
        review = Review.objects.select_for_update(of=("self",)).filter(pk=review_id, store__owner=seller).first()
        if review is None:
            raise NotFound("Review not found.", code="review_not_found")
        errors = ErrorCollector()
        text = check_text(text, errors, required=True)
        errors.raise_if_any()
        if review.replied_at is not None:
            raise Conflict("You have already replied to this review.", code="already_replied")
        review.reply_text = text
        review.replied_at = now
        review.save(update_fields=["reply_text", "replied_at"])
    return review
