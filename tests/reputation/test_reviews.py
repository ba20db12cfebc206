"""A buyer reviews a completed order once, within the window; the seller replies once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from souk.core.errors import Conflict, NotFound, ValidationFailed
from souk.reputation.models import Review, StoreDailyStats
from souk.reputation.services import review_create, review_reply
from tests.factories import AddressFactory, StoreFactory, UserFactory
from tests.reputation.conftest import NOW, completed_order, pay, place

GOOD = {"overall": 5, "item_as_described": 4, "communication": 5, "shipping_speed": 3, "text": "Works well."}


def api(user, method, url, body=None):
    headers = {"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"} if user else {}
    kwargs = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(Client(), method)(url, **kwargs)


@pytest.fixture
def done(customer, shop):
    """The customer's order, completed a day ago (real time: the API uses the clock)."""
    from django.utils import timezone

    return completed_order(customer, shop[1], completed_at=timezone.now() - timedelta(days=1))


def nothing_written():
    return not Review.objects.exists() and not StoreDailyStats.objects.filter(ratings_count__gt=0).exists()


def test_buyer_reviews_a_completed_order_and_the_store_counts_the_rating(customer, done):
    response = api(customer, "post", f"/api/orders/{done.number}/review", GOOD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["overall"], body["item_as_described"], body["communication"], body["shipping_speed"]) == (5, 4, 5, 3)
    assert body["text"] == "Works well."
    assert body["buyer_name"] == "A***e"
    assert body["reply"] is None
    stats = StoreDailyStats.objects.get(store_id=done.store_id)
    assert (stats.ratings_count, stats.ratings_positive, stats.overall_sum, stats.shipping_speed_sum) == (1, 1, 5, 3)


@pytest.mark.parametrize("field", ["overall", "item_as_described", "communication", "shipping_speed"])
@pytest.mark.parametrize("stars", [0, 6, -1])
def test_a_rating_outside_one_to_five_stars_is_refused_naming_the_field(customer, done, field, stars):
    response = api(customer, "post", f"/api/orders/{done.number}/review", {**GOOD, field: stars})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["code"] == "rating_out_of_range"
    assert nothing_written()


def test_every_bad_rating_is_named_at_once(customer, done):
    with pytest.raises(ValidationFailed) as caught:
        review_create(buyer=customer, order_id=done.pk, overall=0, item_as_described=6, communication=3,
                      shipping_speed=True)
    assert [e.field for e in caught.value.errors] == ["overall", "item_as_described", "shipping_speed"]
    assert nothing_written()


def test_a_review_longer_than_2000_characters_is_refused(customer, done):
    response = api(customer, "post", f"/api/orders/{done.number}/review", {**GOOD, "text": "x" * 2001})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "text"
    assert nothing_written()


def test_a_second_review_of_the_same_order_is_a_conflict_and_changes_nothing(customer, done):
    assert api(customer, "post", f"/api/orders/{done.number}/review", GOOD).status_code == 201
    response = api(customer, "post", f"/api/orders/{done.number}/review", {**GOOD, "overall": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "already_reviewed"
    assert list(Review.objects.values_list("overall", flat=True)) == [5]
    assert StoreDailyStats.objects.get().ratings_count == 1


def test_someone_elses_order_answers_404_and_nothing_is_written(done):
    stranger = UserFactory()
    AddressFactory(user=stranger)
    response = api(stranger, "post", f"/api/orders/{done.number}/review", GOOD)
    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"
    with pytest.raises(NotFound):
        review_create(buyer=stranger, order_id=done.pk, **{k: v for k, v in GOOD.items()})
    assert nothing_written()


@pytest.mark.parametrize("stage", ["awaiting_payment", "awaiting_shipment", "awaiting_delivery"])
def test_an_order_not_yet_completed_cannot_be_reviewed(customer, shop, stage):
    from souk.fulfilment.services import order_mark_shipped

    order = place(customer, shop[1], at=NOW)
    if stage != "awaiting_payment":
        pay(order, at=NOW)
    if stage == "awaiting_delivery":
        order_mark_shipped(seller=order.store.owner, order_id=order.pk, carrier="DHL", tracking_number="A1", now=NOW)
    response = api(customer, "post", f"/api/orders/{order.number}/review", GOOD)
    assert response.status_code == 409
    assert response.json()["code"] == "order_not_completed"
    assert nothing_written()


def test_the_review_window_closes_thirty_days_after_completion(customer, shop):
    order = completed_order(customer, shop[1], completed_at=NOW)
    late = NOW + timedelta(days=30, seconds=1)
    with pytest.raises(Conflict) as caught:
        review_create(buyer=customer, order_id=order.pk, overall=4, item_as_described=4, communication=4,
                      shipping_speed=4, now=late)
    assert caught.value.code == "review_window_closed"
    assert nothing_written()
    review = review_create(buyer=customer, order_id=order.pk, overall=4, item_as_described=4, communication=4,
                           shipping_speed=4, now=NOW + timedelta(days=30))
    assert review.created_at == NOW + timedelta(days=30)


def test_the_review_window_is_a_setting(customer, shop, settings):
    settings.SOUK = {**settings.SOUK, "REVIEW_WINDOW_DAYS": 7}
    order = completed_order(customer, shop[1], completed_at=NOW)
    with pytest.raises(Conflict):
        review_create(buyer=customer, order_id=order.pk, overall=4, item_as_described=4, communication=4,
                      shipping_speed=4, now=NOW + timedelta(days=8))


def test_the_seller_replies_once(customer, done):
    review_id = api(customer, "post", f"/api/orders/{done.number}/review", GOOD).json()["id"]
    seller = done.store.owner
    response = api(seller, "post", f"/api/seller/reviews/{review_id}/reply", {"text": "Thank you!"})
    assert response.status_code == 200, response.content
    assert response.json()["reply"]["text"] == "Thank you!"
    again = api(seller, "post", f"/api/seller/reviews/{review_id}/reply", {"text": "Edited"})
    assert again.status_code == 409
    assert again.json()["code"] == "already_replied"
    assert Review.objects.get().reply_text == "Thank you!"


def test_another_seller_cannot_reply_and_an_empty_reply_is_refused(customer, done):
    review = review_create(buyer=customer, order_id=done.pk, overall=2, item_as_described=2, communication=2,
                           shipping_speed=2)
    other = StoreFactory().owner
    response = api(other, "post", f"/api/seller/reviews/{review.pk}/reply", {"text": "Not mine"})
    assert response.status_code == 404
    with pytest.raises(ValidationFailed) as caught:
        review_reply(seller=done.store.owner, review_id=review.pk, text="   ")
    assert caught.value.field == "text"
    review.refresh_from_db()
    assert (review.reply_text, review.replied_at) == ("", None)


def test_reviewing_needs_a_login(done):
    assert api(None, "post", f"/api/orders/{done.number}/review", GOOD).status_code == 401


def test_store_reviews_are_listed_newest_first_a_page_at_a_time(customer, shop):
    product = shop[1]
    for day in range(3):
        order = completed_order(customer, product, completed_at=NOW + timedelta(days=day))
        review_create(buyer=customer, order_id=order.pk, overall=day + 3, item_as_described=4, communication=4,
                      shipping_speed=4, text=f"<b>day {day}</b>", now=NOW + timedelta(days=day, hours=1))
    first = api(None, "get", "/api/stores/alpha-gadgets/reviews?limit=2").json()
    assert [r["overall"] for r in first["items"]] == [5, 4]
    assert first["items"][0]["text"] == "<b>day 2</b>"  # JSON carries text as written; pages escape it
    second = api(None, "get", f"/api/stores/alpha-gadgets/reviews?limit=2&cursor={first['next_cursor']}").json()
    assert [r["overall"] for r in second["items"]] == [3]
    assert second["next_cursor"] is None


def test_an_unknown_store_has_no_reviews_page(db):
    assert api(None, "get", "/api/stores/nobody/reviews").status_code == 404
    assert api(None, "get", "/api/stores/nobody/metrics").status_code == 404


def test_the_order_page_learns_whether_and_until_when_the_buyer_may_review(customer, shop):
    from souk.reputation.selectors import order_review

    order = completed_order(customer, shop[1], completed_at=NOW)
    state = order_review(order=order, now=NOW + timedelta(days=2))
    assert (state.allowed, state.closes_at, state.review) == (True, NOW + timedelta(days=30), None)
    assert order_review(order=order, now=NOW + timedelta(days=31)).code == "review_window_closed"
    review_create(buyer=customer, order_id=order.pk, overall=4, item_as_described=4, communication=4,
                  shipping_speed=4, now=NOW + timedelta(days=2))
    state = order_review(order=order, now=NOW + timedelta(days=3))
    assert (state.allowed, state.code, state.review.overall) == (False, "already_reviewed", 4)
    unpaid = place(customer, shop[1], at=NOW)
    assert order_review(order=unpaid, now=NOW).why_not == "You can review an order once it is completed."
