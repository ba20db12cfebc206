"""No page issues more SQL as the number of orders, lines, messages or requests grows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from souk.cancellations.services import order_cancel_by_buyer
from souk.checkout.services import CheckoutLine, checkout
from souk.messaging.services import message_send
from tests.factories import ProductFactory


def queries(client, url: str) -> int:
    """Queries of a second look at the page (the first one may mark messages read: one more UPDATE)."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        res = client.get(url)
    assert res.status_code == 200, res.status_code
    return len(ctx.captured_queries)


def grow(world, n: int) -> None:
    """n more orders: paid, some with a cancellation request, each with a message."""
    for i in range(n):
        order = world.order(paid=True)
        message_send(sender=world.buyer, order_id=order.pk, body=f"Question {i}")
        if i % 2:
            order_cancel_by_buyer(buyer=world.buyer, order_id=order.pk, reason="changed_mind")


@pytest.mark.parametrize("tab", ["", "awaiting_shipment", "awaiting_cancellation"])
def test_my_orders_runs_the_same_queries_for_2_or_12_orders(world, as_buyer, tab, settings):
    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000}
    url = reverse("orders:my_orders") + f"?status={tab}"
    grow(world, 2)
    few = queries(as_buyer, url)
    grow(world, 10)
    assert queries(as_buyer, url) == few


def test_order_details_runs_the_same_queries_for_1_or_many_lines_messages_and_refunds(world, as_buyer, settings):
    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000}
    small = world.order(paid=True)
    message_send(sender=world.buyer, order_id=small.pk, body="hello")
    order_cancel_by_buyer(buyer=world.buyer, order_id=small.pk, reason="changed_mind")
    few = queries(as_buyer, reverse("orders:order_detail", args=[small.number]))

    extra = [ProductFactory(store=world.store, price_minor=100 + i) for i in range(6)]
    [big] = checkout(buyer=world.buyer, address_id=world.buyer.addresses.first().pk,
                     lines=[CheckoutLine(world.product.pk, 1)] + [CheckoutLine(p.pk, 2) for p in extra],
                     shipping={world.store.pk: world.option.pk})
    from souk.payments.services import order_pay

    order_pay(buyer=world.buyer, order_id=big.pk, method="card", token="tok_visa", idempotency_key="big")
    for i in range(8):
        message_send(sender=world.buyer if i % 2 else world.seller, order_id=big.pk, body=f"m{i}")
    order_cancel_by_buyer(buyer=world.buyer, order_id=big.pk, reason="changed_mind")
    grow(world, 3)
    assert queries(as_buyer, reverse("orders:order_detail", args=[big.number])) == few


def test_seller_dashboard_runs_the_same_queries_for_2_or_12_orders(world, as_seller, settings):
    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000}
    grow(world, 2)
    few = queries(as_seller, reverse("web:seller_dashboard"))
    grow(world, 10)
    assert queries(as_seller, reverse("web:seller_dashboard")) == few


def test_seller_order_page_and_notifications_stay_constant(world, as_seller, settings):
    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000}
    grow(world, 2)
    first = world.order(paid=True)
    order_cancel_by_buyer(buyer=world.buyer, order_id=first.pk, reason="changed_mind")
    url = reverse("orders:seller_order_detail", args=[first.number])
    few, few_notes = queries(as_seller, url), queries(as_seller, reverse("web:notifications"))
    grow(world, 8)
    assert queries(as_seller, url) == few
    assert queries(as_seller, reverse("web:notifications")) == few_notes


def dispute_on(world, order, *, escalate: bool = False):
    from souk.disputes.services import dispute_counter, dispute_escalate, dispute_open

    dispute = dispute_open(buyer=world.buyer, order_id=order.pk, reason="damaged", kind="refund_only",
                           amount_minor=500, description="Cracked.")
    dispute_counter(user=world.seller, party="seller", dispute_id=dispute.pk, kind="refund_only", amount_minor=200)
    message_send(sender=world.buyer, order_id=order.pk, body="Look at the photos.")
    if escalate:
        dispute_escalate(user=world.buyer, party="buyer", dispute_id=dispute.pk)
    return dispute


def test_the_seller_dashboards_dispute_list_runs_the_same_queries_for_1_or_6_disputes(world, as_seller, settings):
    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000}
    dispute_on(world, world.order(shipped=True))
    few = queries(as_seller, reverse("web:seller_dashboard"))
    for _ in range(5):
        dispute_on(world, world.order(shipped=True))
    html = as_seller.get(reverse("web:seller_dashboard")).content.decode()
    assert html.count("Dispute on order") == 6
    assert queries(as_seller, reverse("web:seller_dashboard")) == few


def test_the_staff_escalations_page_runs_the_same_queries_for_1_or_6_disputes(world, settings):
    from django.test import Client

    from tests.factories import UserFactory

    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000, "DISPUTE_ESCALATE_AFTER_DAYS": 0}
    staff = Client()
    staff.force_login(UserFactory(email="ops@example.com", is_staff=True))
    dispute_on(world, world.order(shipped=True), escalate=True)
    few = queries(staff, reverse("disputes:staff_disputes"))
    for _ in range(5):
        dispute_on(world, world.order(shipped=True), escalate=True)
    html = staff.get(reverse("disputes:staff_disputes")).content.decode()
    assert html.count('class="card staff-dispute"') == 6 and "Look at the photos." in html
    assert queries(staff, reverse("disputes:staff_disputes")) == few


def test_the_dispute_page_runs_the_same_queries_whatever_its_offers_photos_and_messages(world, as_buyer, settings,
                                                                                       tmp_path):
    from souk.disputes.services import dispute_add_evidence, dispute_counter

    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000, "DISPUTE_EVIDENCE_MAX_FILES": 50}
    settings.MEDIA_ROOT = tmp_path
    dispute = dispute_on(world, world.order(shipped=True))
    url = reverse("disputes:buyer_dispute", args=[dispute.pk])
    few = queries(as_buyer, url)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    for i in range(4):
        dispute_counter(user=world.buyer, party="buyer", dispute_id=dispute.pk, kind="refund_only",
                        amount_minor=400 - i)
        dispute_add_evidence(user=world.buyer, party="buyer", dispute_id=dispute.pk, content=png)
        message_send(sender=world.seller, order_id=dispute.order_id, body=f"m{i}")
    assert queries(as_buyer, url) == few
