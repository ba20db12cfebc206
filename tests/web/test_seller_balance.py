"""The seller balance page and GET /api/seller/balance: per order what escrow holds, what was released
(less commission), refunded, frozen by a dispute, and the store's totals, all read from the ledger."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from moneyed import Money

from souk.cancellations.services import order_cancel_by_seller
from souk.fulfilment.services import order_confirm_receipt
from souk.ledger.selectors import order_money
from souk.orders.services import lock_order, order_freeze
from souk.payments.services import escrow_release, refund_create
from tests.factories import ProductFactory, UserFactory
from tests.ledger.audit import assert_audit_clean

pytestmark = pytest.mark.django_db
API = "/api/seller/balance"


@pytest.fixture
def flows(world):
    """Three real orders of $24.50 + $3.00 shipping: released with commission, cancelled with a full
    refund, and partly refunded ($5.00)."""
    released = world.order(shipped=True)
    order_confirm_receipt(buyer=world.buyer, order_id=released.pk)
    escrow_release(order_id=released.pk)
    earbuds, world.product = world.product, ProductFactory(store=world.store, price_minor=2450, stock=1)
    cancelled = world.order(paid=True)
    order_cancel_by_seller(seller=world.seller, order_id=cancelled.pk, reason="out_of_stock")  # zeroes its stock
    world.product = earbuds
    partial = world.order(paid=True)
    refund_create(order_id=partial.pk, amount=Money("5.00", "USD"), reason="price_adjustment", actor=world.seller,
                  idempotency_key="partial")
    assert_audit_clean()
    return released, cancelled, partial


def amount(value: str) -> dict:
    return {"amount": value, "currency": "USD"}


def test_the_api_shows_each_order_and_the_store_totals_as_the_ledger_has_them(flows, as_seller):
    released, cancelled, partial = flows
    body = as_seller.get(API).json()
    assert [i["number"] for i in body["items"]] == [partial.number, cancelled.number, released.number]
    by_number = {i["number"]: i for i in body["items"]}

    done = by_number[released.number]
    assert (done["held"], done["released"], done["commission"], done["seller_net"], done["refunded"]) == (
        amount("0.00"), amount("27.50"), amount("2.20"), amount("25.30"), amount("0.00"))
    assert done["status"] == "completed" and done["is_frozen"] is False
    gone = by_number[cancelled.number]
    assert (gone["held"], gone["refunded"], gone["refund_in_flight"], gone["released"]) == (
        amount("0.00"), amount("27.50"), amount("27.50"), amount("0.00"))
    part = by_number[partial.number]
    assert (part["captured"], part["held"], part["refunded"]) == (amount("27.50"), amount("22.50"), amount("5.00"))
    # Every figure is the ledger's own per-order reading.
    for order in flows:
        money = order_money(order.pk)
        row = by_number[order.number]
        for name in ("captured", "held", "released", "commission", "refunded", "refund_in_flight"):
            assert row[name] == amount(str(money[name].amount)), (order.number, name)

    [totals] = body["totals"]
    assert totals == {"captured": amount("82.50"), "held": amount("22.50"), "released": amount("27.50"),
                      "commission": amount("2.20"), "seller_net": amount("25.30"), "refunded": amount("32.50"),
                      "refund_in_flight": amount("32.50"), "frozen": amount("0.00")}
    assert body["next_cursor"] is None


def test_the_page_shows_the_same_numbers_and_is_linked_from_the_dashboard(flows, as_seller):
    released, cancelled, partial = flows
    dashboard = as_seller.get(reverse("web:seller_dashboard")).content.decode()
    assert reverse("web:seller_balance") in dashboard
    page = as_seller.get(reverse("web:seller_balance"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "$25.30" in html and "$2.20" in html and "$22.50" in html and "$32.50" in html
    assert all(f'data-order="{o.number}"' in html for o in flows)


def test_an_order_a_dispute_froze_shows_its_escrow_as_frozen(flows, as_seller):
    partial = flows[2]
    with transaction.atomic():  # what opening a dispute does to the order (docs/disputes.md, Money)
        order_freeze(order=lock_order(order_id=partial.pk), now=timezone.now())
    body = as_seller.get(API).json()
    row = next(i for i in body["items"] if i["number"] == partial.number)
    assert row["is_frozen"] is True and row["frozen"] == amount("22.50")
    assert [i["is_frozen"] for i in body["items"]].count(True) == 1
    assert body["totals"][0]["frozen"] == amount("22.50")
    assert "frozen by a dispute" in as_seller.get(reverse("web:seller_balance")).content.decode()


def test_pages_of_the_balance_follow_each_other_newest_first_without_overlap(flows, as_seller):
    first = as_seller.get(API, {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = as_seller.get(API, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["number"] for i in first["items"] + second["items"]] == [o.number for o in reversed(flows)]
    assert second["next_cursor"] is None
    assert second["totals"] == first["totals"]  # totals are the store's, whatever the page
    html = as_seller.get(reverse("web:seller_balance"), {"cursor": "nonsense"})
    assert html.status_code == 422
    bad = as_seller.get(API, {"cursor": "nonsense"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_cursor"


def test_someone_without_a_store_is_refused_and_anonymous_users_must_log_in(world, as_buyer):
    res = as_buyer.get(API)
    assert res.status_code == 403 and res.json()["code"] == "not_a_seller"
    assert as_buyer.get(reverse("web:seller_balance")).status_code == 403
    assert Client().get(API).status_code == 401
    assert Client().get(reverse("web:seller_balance")).status_code == 302


def test_another_sellers_orders_never_appear(flows, world):
    other = UserFactory(email="other-seller@example.com")
    ProductFactory(store__owner=other)
    client = Client()
    client.force_login(other)
    body = client.get(API).json()
    assert body["items"] == [] and body["totals"] == []


def _queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        res = client.get(url)
    assert res.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [API + "?limit=100", "/seller/balance/"])
def test_the_balance_runs_the_same_queries_for_10_or_50_orders(world, as_seller, url):
    world.product = ProductFactory(store=world.store, price_minor=2450, stock=500)
    orders = [world.order(paid=True) for _ in range(10)]
    with transaction.atomic():
        order_freeze(order=lock_order(order_id=orders[0].pk), now=timezone.now())
    few = _queries(as_seller, url)
    orders += [world.order(paid=True, shipped=i % 3 == 0) for i in range(40)]
    assert _queries(as_seller, url) == few
    if url.startswith(API):
        assert len(as_seller.get(url).json()["items"]) == 50
