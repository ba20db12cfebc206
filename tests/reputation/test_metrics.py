"""Seller metrics with hand-computed values, including the windows' edges.

NOW is 2026-07-15 12:00 UTC. The ratings window starts on 2026-01-15 (6 calendar months
earlier, whole day included); the orders window starts on 2026-04-16 (90 days earlier,
whole day included).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from souk.cancellations.services import order_cancel_by_staff
from souk.orders.events import record
from souk.orders.models import Order
from souk.payments.models import Payment, Refund
from souk.reputation.policy import REFUND_EDGES, median_upper_edge, months_before, refund_bucket
from souk.reputation.selectors import seller_card, store_metrics
from souk.reputation.services import review_create
from souk.reputation.stats import rebuild_stats, rollup_events
from tests.factories import UserFactory
from tests.reputation.conftest import NOW, completed_order, pay, place, ran_out, roll_up, ship

DAY = timedelta(days=1)


def review_at(buyer, product, at, overall, item, communication, shipping):
    order = completed_order(buyer, product, completed_at=at - DAY)
    review_create(buyer=buyer, order_id=order.pk, overall=overall, item_as_described=item,
                  communication=communication, shipping_speed=shipping, now=at)


def test_positive_feedback_counts_four_and_five_stars_among_ratings_of_the_last_six_months(customer, shop):
    store, product = shop
    exactly_six_months = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    review_at(customer, product, exactly_six_months, 5, 5, 5, 1)                     # in: positive
    review_at(customer, product, datetime(2026, 1, 14, 23, 59, 59, tzinfo=UTC), 1, 1, 1, 1)  # out: a day too old
    review_at(customer, product, datetime(2026, 3, 1, 9, 0, tzinfo=UTC), 4, 4, 5, 2)  # in: positive
    review_at(customer, product, NOW - DAY, 3, 4, 5, 3)                               # in: neutral
    review_at(customer, product, NOW, 2, 1, 5, 4)                                     # in: negative
    m = store_metrics(store_id=store.pk, now=NOW)
    assert m.ratings_from == date(2026, 1, 15)
    assert (m.ratings_count, m.ratings_positive, m.ratings_neutral, m.ratings_negative) == (4, 2, 1, 1)
    assert m.positive_feedback_pct == 50.0
    assert m.avg_overall == 3.5               # (5 + 4 + 3 + 2) / 4
    assert m.avg_item_as_described == 3.5     # (5 + 4 + 4 + 1) / 4
    assert m.avg_communication == 5.0
    assert m.avg_shipping_speed == 2.5        # (1 + 2 + 3 + 4) / 4
    # A day later the review from exactly six months ago has aged out.
    later = store_metrics(store_id=store.pk, now=NOW + DAY)
    assert (later.ratings_count, later.positive_feedback_pct) == (3, 33.3)


def test_no_ratings_means_no_percentage_rather_than_zero(shop):
    m = store_metrics(store_id=shop[0].pk, now=NOW)
    assert (m.ratings_count, m.positive_feedback_pct, m.avg_overall) == (0, None, None)
    assert (m.cancellation_rate_pct, m.on_time_shipping_pct, m.median_refund_seconds) == (None, None, None)


@pytest.fixture
def cancellation_history(customer, shop):
    """Six orders around the 90-day edge (2026-04-16 12:00 is exactly 90 days before NOW)."""
    store, product = shop
    staff = UserFactory(is_staff=True)

    def paid(at):
        order = place(customer, product, at=at)
        pay(order, at=at)
        return order

    exactly_90 = NOW - timedelta(days=90)
    o1 = paid(exactly_90)                                                   # in, seller-fault cancelled
    ran_out(o1, at=exactly_90 + DAY)
    o2 = paid(datetime(2026, 4, 15, 23, 59, 59, tzinfo=UTC))                # out (91st day back)
    ran_out(o2, at=NOW - timedelta(days=80))
    ship(paid(NOW - 10 * DAY), at=NOW - 9 * DAY)                            # in, shipped
    o4 = paid(NOW - 5 * DAY)                                                # in, platform-fault cancelled
    order_cancel_by_staff(staff=staff, order_id=o4.pk, reason="risk", now=NOW - 4 * DAY)
    place(customer, product, at=NOW - 3 * DAY)                              # never paid: not counted
    o6 = paid(NOW - DAY)                                                    # in, seller-fault cancelled
    ran_out(o6, at=NOW)
    return store


def test_cancellation_rate_is_seller_fault_cancellations_among_paid_orders_of_the_last_90_days(cancellation_history):
    assert roll_up() > 0
    m = store_metrics(store_id=cancellation_history.pk, now=NOW)
    assert m.orders_from == date(2026, 4, 16)
    assert (m.orders_paid, m.seller_fault_cancelled) == (4, 2)  # o1, o3, o4, o6; o1 and o6
    assert m.cancellation_rate_pct == 50.0
    # The next day, the order placed exactly 90 days before NOW is out of the window.
    tomorrow = store_metrics(store_id=cancellation_history.pk, now=NOW + DAY)
    assert (tomorrow.orders_paid, tomorrow.seller_fault_cancelled, tomorrow.cancellation_rate_pct) == (3, 1, 33.3)


def test_rebuilding_from_scratch_gives_the_same_numbers_as_the_sweep(cancellation_history):
    roll_up()
    swept = store_metrics(store_id=cancellation_history.pk, now=NOW)
    rebuild_stats(now=NOW)
    assert store_metrics(store_id=cancellation_history.pk, now=NOW) == swept
    assert roll_up() == 0  # the rebuild moved the cursor past every event


def test_on_time_shipping_counts_orders_whose_ship_by_has_passed_or_that_shipped(customer, shop):
    store, product = shop  # 5 handling days: ship-by is payment + 5 days

    def paid(at):
        order = place(customer, product, at=at)
        return pay(order, at=at)

    ship(paid(NOW - 20 * DAY), at=NOW - 17 * DAY)        # due NOW-15d, shipped on time
    ship(paid(NOW - 20 * DAY), at=NOW - 14 * DAY)        # due NOW-15d, shipped a day late
    cancelled = paid(NOW - 20 * DAY)                    # cancelled before its ship-by: not counted
    ran_out(cancelled, at=NOW - 16 * DAY)
    paid(NOW - 10 * DAY)                                # due NOW-5d, still not shipped: late
    paid(NOW - 2 * DAY)                                 # due NOW+3d, not shipped yet: not counted yet
    roll_up()
    m = store_metrics(store_id=store.pk, now=NOW)
    assert (m.shipments_due, m.shipped_on_time, m.on_time_shipping_pct) == (3, 1, 33.3)


def _refund(order, *, created, settled, key):
    payment = Payment.objects.create(order=order, method="card", amount_minor=order.total_minor,
                                     currency=order.currency, status="captured", idempotency_key=f"pay-{key}",
                                     created_at=created)
    refund = Refund.objects.create(order=order, payment=payment, amount_minor=order.total_minor,
                                   currency=order.currency, method="card", state="succeeded", reason="test",
                                   idempotency_key=f"refund-{key}", expected_by=settled.date(),
                                   created_at=created, settled_at=settled)
    record(order_id=order.pk, kind="refund_succeeded", actor_role="system", now=settled)
    return refund


def test_median_refund_time_is_read_from_the_refunds_settled_in_the_last_90_days(customer, shop):
    store, product = shop
    order = place(customer, product, at=NOW - 100 * DAY)
    start = NOW - 20 * DAY
    _refund(order, created=start, settled=start + timedelta(minutes=30), key=1)       # bucket < 1 hour
    _refund(order, created=start, settled=start + timedelta(days=2, hours=1), key=2)  # bucket < 3 days
    _refund(order, created=start, settled=start + timedelta(days=10), key=3)          # bucket < 14 days
    old = NOW - 95 * DAY
    _refund(order, created=old, settled=old + timedelta(minutes=1), key=4)             # settled too long ago
    roll_up()
    m = store_metrics(store_id=store.pk, now=NOW)
    assert m.refunds_settled == 3
    assert m.median_refund_seconds == 3 * 86400  # the 2nd of 3 took 2 days 1 hour: "within 3 days"
    assert m.median_refund_label == "within 3 days"


def test_refund_buckets_and_their_median():
    assert refund_bucket(0) == 0
    assert refund_bucket(59) == 0 and refund_bucket(60) == 1
    assert refund_bucket(10**9) == len(REFUND_EDGES)
    assert median_upper_edge({}) is None
    assert median_upper_edge({0: 1, 5: 1}) == 60          # ceil(2/2) = 1st fastest
    assert median_upper_edge({0: 1, 5: 2}) == REFUND_EDGES[5]
    assert median_upper_edge({len(REFUND_EDGES): 3}) == REFUND_EDGES[-1]


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 7, 15), 6, date(2026, 1, 15)),
    (date(2026, 8, 31), 6, date(2026, 2, 28)),
    (date(2028, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 3, 31), 6, date(2025, 9, 30)),
])
def test_six_months_back_lands_on_the_same_calendar_day_or_the_months_last(day, months, expected):
    assert months_before(day, months) == expected


def test_the_sweep_waits_for_young_events_and_resumes_where_it_stopped(customer, shop):
    store, product = shop
    order = place(customer, product, at=NOW)
    pay(order, at=NOW)
    assert rollup_events(now=NOW + timedelta(seconds=30), settle_seconds=60) == 0
    assert store_metrics(store_id=store.pk, now=NOW).orders_paid == 0
    assert rollup_events(now=NOW + timedelta(seconds=61), settle_seconds=60) == 2  # placed, paid
    assert store_metrics(store_id=store.pk, now=NOW).orders_paid == 1
    assert rollup_events(now=NOW + timedelta(seconds=61), settle_seconds=60) == 0


def test_the_seller_card_is_the_product_pages_subset(customer, shop):
    store, product = shop
    review_at(customer, product, NOW, 5, 5, 5, 5)
    roll_up()
    card = seller_card(store_id=store.pk, now=NOW)
    assert (card.positive_feedback_pct, card.ratings_count, card.avg_overall) == (100.0, 1, 5.0)
    assert (card.cancellation_rate_pct, card.on_time_shipping_pct) == (0.0, 100.0)


def test_the_metrics_endpoint_is_public_and_says_where_its_windows_start(customer, shop):
    from django.utils import timezone

    store, product = shop
    review_at(customer, product, timezone.now(), 4, 3, 5, 4)
    body = Client().get("/api/stores/alpha-gadgets/metrics").json()
    assert body["store_id"] == store.pk
    assert body["ratings"]["positive_feedback_pct"] == 100.0
    assert body["ratings"]["avg_item_as_described"] == 3.0
    assert body["ratings"]["window_from"] == months_before(timezone.now().date(), 6).isoformat()
    assert set(body["fulfilment"]) >= {"cancellation_rate_pct", "on_time_shipping_pct", "median_refund_seconds"}


def _bulk_orders(store, buyer, n):
    """n paid orders spread over the last 200 days, written in one statement (with their events)."""
    from souk.orders.models import OrderEvent

    orders = Order.objects.bulk_create([
        Order(number=f"9{store.pk:05d}{i:010d}", checkout_id="00000000-0000-0000-0000-000000000000", buyer=buyer,
              store=store, status="awaiting_delivery", currency="USD", subtotal_minor=1000, shipping_minor=0,
              total_minor=1000, item_count=1, title="Lamp", shipping_address={}, contact_email="a@example.com",
              contact_phone="+16502530000", shipping_method="Standard", delivery_min_days=5,
              delivery_max_days=9, protection_days=60, handling_days=5,
              created_at=NOW - timedelta(days=i % 200), paid_at=NOW - timedelta(days=i % 200),
              ship_by=NOW - timedelta(days=i % 200) + 5 * DAY, shipped_at=NOW - timedelta(days=i % 200) + DAY)
        for i in range(n)])
    OrderEvent.objects.bulk_create([OrderEvent(order_id=o.pk, kind="ship", actor_role="seller",
                                               created_at=o.shipped_at) for o in orders])


@pytest.mark.parametrize("n", [10, 500])
def test_store_metrics_is_one_query_whatever_the_number_of_orders(customer, shop, n,
                                                                   django_assert_num_queries):
    store, _ = shop
    _bulk_orders(store, customer, n)
    roll_up(NOW + 10 * DAY)
    with django_assert_num_queries(1):
        m = store_metrics(store_id=store.pk, now=NOW)
    expected_paid = sum(1 for i in range(n) if i % 200 <= 90)
    assert m.orders_paid == expected_paid
    with django_assert_num_queries(2):  # the store by slug, its stats rows
        assert Client().get("/api/stores/alpha-gadgets/metrics").status_code == 200


def test_rebuilding_keeps_ratings_refunds_and_shipping_as_the_incremental_paths_left_them(customer, shop):
    store, product = shop
    review_at(customer, product, NOW - 3 * DAY, 4, 3, 5, 2)
    review_at(customer, product, NOW - DAY, 2, 1, 5, 4)
    order = place(customer, product, at=NOW - 30 * DAY)
    pay(order, at=NOW - 30 * DAY)
    start = NOW - 20 * DAY
    _refund(order, created=start, settled=start + timedelta(hours=5), key=1)
    _refund(order, created=start, settled=start + timedelta(days=4), key=2)
    roll_up()
    incremental = store_metrics(store_id=store.pk, now=NOW)
    assert (incremental.ratings_count, incremental.refunds_settled, incremental.shipments_due) == (2, 2, 3)
    rebuild_stats(now=NOW)
    assert store_metrics(store_id=store.pk, now=NOW) == incremental


def test_touched_days_are_read_as_runs_of_consecutive_days():
    from souk.reputation.stats import day_ranges

    d = date(2026, 7, 1)
    assert day_ranges([]) == []
    assert day_ranges([d + 2 * DAY, d, d + DAY, d + 10 * DAY, d]) == [(d, d + 2 * DAY), (d + 10 * DAY, d + 10 * DAY)]


def test_a_late_event_on_an_old_order_recomputes_only_its_days(customer, shop):
    """Days far apart (an old order's placement and a new one's) are separate runs; both are right."""
    store, product = shop
    old = place(customer, product, at=NOW - 80 * DAY)
    pay(old, at=NOW - 80 * DAY)
    new = place(customer, product, at=NOW - DAY)
    pay(new, at=NOW - DAY)
    roll_up()
    ran_out(old, at=NOW - 78 * DAY)
    roll_up()
    m = store_metrics(store_id=store.pk, now=NOW)
    assert (m.orders_paid, m.seller_fault_cancelled) == (2, 1)


def test_the_rebuild_command_recomputes_what_was_lost(customer, shop):
    from io import StringIO

    from django.core.management import call_command

    from souk.reputation.models import StoreDailyStats

    store, product = shop
    review_at(customer, product, NOW - DAY, 5, 5, 5, 5)
    roll_up()
    before = store_metrics(store_id=store.pk, now=NOW)
    StoreDailyStats.objects.all().delete()
    out = StringIO()
    call_command("rebuild_store_stats", stdout=out)
    assert "rows rebuilt" in out.getvalue()
    assert store_metrics(store_id=store.pk, now=NOW) == before
