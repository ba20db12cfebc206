"""Before buying, a buyer researches the seller: the product page's seller card and the store page's record."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.reputation.services import review_create
from tests.reputation.conftest import completed_order, roll_up


def _reviewed_store(customer, shop, text="Exactly as described <b>fast</b>"):
    store, product = shop
    now = timezone.now()
    order = completed_order(customer, product, completed_at=now - timedelta(days=1))
    review_create(buyer=customer, order_id=order.pk, overall=5, item_as_described=5, communication=4,
                  shipping_speed=4, text=text)
    roll_up(now=now)
    return store, product


def test_the_product_page_shows_the_sellers_record(client, customer, shop):
    store, product = _reviewed_store(customer, shop)
    page = client.get(f"/products/{product.pk}/").content.decode()
    card = page[page.index('id="seller-record"'):]
    assert "100.0%" in card and "1 rating" in card  # positive feedback, from the one 5-star review
    assert "Cancellation rate" in card and "0.0%" in card  # one paid order, not cancelled
    assert "Ships on time" in card


def test_the_store_page_shows_the_record_and_recent_reviews_as_text(client, customer, shop):
    store, product = _reviewed_store(customer, shop)
    page = client.get(f"/stores/{store.slug}/").content.decode()
    assert "Seller record" in page and "100.0%" in page
    assert "Item as described</dt><dd>5.0 / 5" in page.replace("\n", "")
    assert "Exactly as described &lt;b&gt;fast&lt;/b&gt;" in page and "<b>fast</b>" not in page


def test_the_store_page_costs_the_same_queries_with_more_orders(client, customer, shop):
    store, product = _reviewed_store(customer, shop)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/stores/{store.slug}/")
    now = timezone.now()
    for days in range(2, 12):
        completed_order(customer, product, completed_at=now - timedelta(days=days))
    roll_up(now=now)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/stores/{store.slug}/")
    assert len(many.captured_queries) == len(few.captured_queries)
