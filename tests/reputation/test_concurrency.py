"""Real threads on PostgreSQL: twin reviews and replies end in one review, one reply, one count."""

from __future__ import annotations

import pytest

from souk.core.errors import DomainError
from souk.reputation.models import Review, StoreDailyStats
from souk.reputation.services import review_create, review_reply
from tests.reputation.conftest import NOW, completed_order
from tests.support import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_reviews_of_one_order_at_once_leave_one_review_counted_once(customer, shop):
    order = completed_order(customer, shop[1], completed_at=NOW)

    def review(stars):
        return lambda: review_create(buyer=customer, order_id=order.pk, overall=stars, item_as_described=stars,
                                     communication=stars, shipping_speed=stars, now=NOW)

    results = race(review(5), review(1))
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1 and errors[0].code == "already_reviewed"
    assert Review.objects.count() == 1
    stats = StoreDailyStats.objects.get()
    assert stats.ratings_count == 1
    assert stats.overall_sum == Review.objects.get().overall


def test_reviews_of_different_orders_at_once_are_all_counted(customer, shop):
    orders = [completed_order(customer, shop[1], completed_at=NOW) for _ in range(4)]
    race(*[lambda o=o: review_create(buyer=customer, order_id=o.pk, overall=4, item_as_described=4,
                                     communication=4, shipping_speed=4, now=NOW) for o in orders])
    stats = StoreDailyStats.objects.get()
    assert (stats.ratings_count, stats.ratings_positive, stats.overall_sum) == (4, 4, 16)


def test_two_replies_at_once_leave_one_reply(customer, shop):
    order = completed_order(customer, shop[1], completed_at=NOW)
    review = review_create(buyer=customer, order_id=order.pk, overall=3, item_as_described=3, communication=3,
                           shipping_speed=3, now=NOW)
    seller = order.store.owner
    results = race(lambda: review_reply(seller=seller, review_id=review.pk, text="First"),
                   lambda: review_reply(seller=seller, review_id=review.pk, text="Second"))
    errors = [r for r in results if isinstance(r, DomainError)]
    assert len(errors) == 1 and errors[0].code == "already_replied"
    review.refresh_from_db()
    assert review.reply_text in {"First", "Second"}
