"""The buyer follows a refund to its end and a parcel from its shipment: told once, three ways
(in-app, email, webhook), in the transaction of the change that makes the news."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from moneyed import Money

from souk.cancellations.services import (
    cancellation_request_reject,
    order_cancel_by_buyer,
    order_cancel_by_seller,
)
from souk.core.errors import ValidationFailed
from souk.fulfilment.services import order_mark_shipped
from souk.messaging.models import Message
from souk.notifications.models import EmailMessage, Notification, WebhookDelivery
from souk.payments.models import Refund, SandboxRefund
from souk.payments.services import order_pay, refund_create, refund_process, refunds_due
from souk.payments.services.refunds import refunds_flag_late
from tests.factories import WebhookEndpointFactory
from tests.ledger.audit import assert_audit_clean
from tests.payments.conftest import new_key

pytestmark = pytest.mark.django_db


def usd(amount) -> Money:
    return Money(amount, "USD")


def paid_order(buyer, place_order, gadgets: int = 3):
    order = place_order(gadgets=gadgets)
    order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key=new_key("pay"))
    return order


def told(buyer, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=buyer, kind=kind).order_by("id"))


def emailed(buyer, kind: str) -> int:
    return EmailMessage.objects.filter(recipient=buyer, kind=kind).count()


def test_a_settled_refund_tells_the_buyer_once_with_amount_method_and_bank_reference(buyer, place_order,
                                                                                        settle_now):
    hook = WebhookEndpointFactory(kinds=["refund_succeeded"])
    order = paid_order(buyer, place_order)
    refund = refund_create(order_id=order.pk, amount=usd("12.50"), reason="price_adjustment", actor=None,
                           idempotency_key="r-ok")
    refund_process(refund_id=refund.pk)  # submitted: no news yet
    assert told(buyer, "refund_succeeded") == []
    settled = refund_process(refund_id=refund.pk, force=True)
    assert settled.state == Refund.State.SUCCEEDED

    [note] = told(buyer, "refund_succeeded")
    assert note.order_id == order.pk
    assert note.data == {"refund_id": refund.pk, "state": "succeeded", "amount": "12.50", "currency": "USD",
                         "method": "card", "arn": settled.arn, "expected_by": refund.expected_by.isoformat()}
    assert "$12.50" in note.title and "your card" in note.body and settled.arn in note.body
    assert emailed(buyer, "refund_succeeded") == 1
    [delivery] = WebhookDelivery.objects.filter(endpoint=hook, kind="refund_succeeded")
    assert delivery.payload["data"]["arn"] == settled.arn and delivery.payload["recipients"] == [buyer.pk]

    # Processing it again, by hand or by the sweep, changes nothing and says nothing more.
    refund_process(refund_id=refund.pk, force=True)
    refunds_due(now=timezone.now() + timedelta(days=90))
    assert len(told(buyer, "refund_succeeded")) == 1 and emailed(buyer, "refund_succeeded") == 1
    assert told(buyer, "refund_delayed") == [] and told(buyer, "refund_failed") == []
    assert_audit_clean()


def test_a_refund_the_bank_rejects_tells_the_buyer_it_failed_and_that_staff_take_over(buyer, place_order,
                                                                                       settle_now):
    order = paid_order(buyer, place_order)
    refund = refund_create(order_id=order.pk, amount=usd("10.14"), reason="price_adjustment", actor=None,
                           idempotency_key="r-bad")
    refund_process(refund_id=refund.pk)
    failed = refund_process(refund_id=refund.pk, force=True)
    assert failed.state == Refund.State.FAILED

    [note] = told(buyer, "refund_failed")
    assert note.data["next_step"] == "staff" and note.data["state"] == "failed"
    assert "Souk still holds it" in note.body and "staff" in note.body
    assert emailed(buyer, "refund_failed") == 1
    refund_process(refund_id=refund.pk, force=True)
    refunds_due(now=timezone.now() + timedelta(days=90))
    assert len(told(buyer, "refund_failed")) == 1 and told(buyer, "refund_delayed") == []
    assert_audit_clean()


def test_a_refund_past_its_expected_date_is_announced_as_delayed_once_then_as_succeeded(buyer, place_order,
                                                                                         settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 10**9}
    order = paid_order(buyer, place_order)
    refund = refund_create(order_id=order.pk, amount=usd(5), reason="goodwill", actor=None, idempotency_key="late")
    refund_process(refund_id=refund.pk)  # accepted by the gateway, not settled
    later = timezone.now() + timedelta(days=60)
    refunds_due(now=later)
    refunds_due(now=later + timedelta(days=1))
    refund_process(refund_id=refund.pk, force=True, now=later + timedelta(days=2))

    [note] = told(buyer, "refund_delayed")
    assert note.data["next_step"] == "retry" and note.data["expected_by"] == refund.expected_by.isoformat()
    assert f"{refund.expected_by:%d %b %Y}" in note.body
    assert emailed(buyer, "refund_delayed") == 1

    SandboxRefund.objects.update(settle_at=timezone.now())  # the processor pays out at last
    refund_process(refund_id=refund.pk, force=True, now=later + timedelta(days=3))
    assert len(told(buyer, "refund_succeeded")) == 1 and len(told(buyer, "refund_delayed")) == 1
    assert_audit_clean()


def test_a_late_refund_found_while_processing_it_is_announced_as_delayed_once(buyer, place_order,
                                                                               settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 10**9}
    order = paid_order(buyer, place_order)
    refund = refund_create(order_id=order.pk, amount=usd(5), reason="goodwill", actor=None, idempotency_key="late")
    later = timezone.now() + timedelta(days=60)
    refund_process(refund_id=refund.pk, now=later)  # the worker itself sees it is late
    refund_process(refund_id=refund.pk, now=later + timedelta(hours=1), force=True)
    refunds_due(now=later + timedelta(days=1))
    assert len(told(buyer, "refund_delayed")) == 1
    assert_audit_clean()


def test_a_refund_out_of_gateway_attempts_is_delayed_once_and_not_again_when_it_is_also_late(
        buyer, place_order, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_TRANSIENT_FAILURES": 50, "REFUND_MAX_ATTEMPTS": 2}
    order = paid_order(buyer, place_order)
    refund = refund_create(order_id=order.pk, amount=usd("10.13"), reason="price_adjustment", actor=None,
                           idempotency_key="r-stuck")
    for _ in range(3):
        refund_process(refund_id=refund.pk, force=True)
    refunds_due(now=timezone.now() + timedelta(days=60))
    assert len(told(buyer, "refund_delayed")) == 1
    assert told(buyer, "refund_failed") == []
    assert_audit_clean()


def test_a_cancelled_order_is_followed_from_refund_started_to_refund_succeeded(buyer, place_order, shop,
                                                                                settle_now):
    order = paid_order(buyer, place_order, gadgets=1)
    order_cancel_by_seller(seller=shop[0].owner, order_id=order.pk, reason="out_of_stock")
    assert len(told(buyer, "refund_started")) == 1
    refunds_due()
    refunds_due(now=timezone.now() + timedelta(minutes=5))
    [note] = told(buyer, "refund_succeeded")
    assert note.data["amount"] == "23.00"
    assert_audit_clean()


def test_shipping_tells_the_buyer_the_carrier_tracking_number_and_link_and_says_so_in_the_thread(
        buyer, place_order, shop):
    hook = WebhookEndpointFactory(kinds=["order_shipped"])
    order = paid_order(buyer, place_order, gadgets=1)
    shipped = order_mark_shipped(seller=shop[0].owner, order_id=order.pk, carrier="DHL", tracking_number="JD0148-77")

    [note] = told(buyer, "order_shipped")
    link = "https://www.dhl.com/global-en/home/tracking.html?tracking-id=JD0148-77"
    assert note.data == {"carrier": "DHL", "tracking_number": "JD0148-77", "tracking_url": link}
    assert "DHL" in note.body and "JD0148-77" in note.body and link in note.body
    assert f"{shipped.protection_ends_at:%d %b %Y}" in note.body
    assert emailed(buyer, "order_shipped") == 1
    assert WebhookDelivery.objects.get(endpoint=hook).payload["data"]["tracking_url"] == link
    [message] = Message.objects.filter(conversation__order=order, kind=Message.Kind.SYSTEM)
    assert "JD0148-77" in message.body and message.data["kind"] == "order_shipped"
    # The seller is not told about their own shipment.
    assert not Notification.objects.filter(recipient=shop[0].owner, kind="order_shipped").exists()


def test_a_carrier_without_a_known_tracking_page_gets_no_link(buyer, place_order, shop):
    order = paid_order(buyer, place_order, gadgets=1)
    order_mark_shipped(seller=shop[0].owner, order_id=order.pk, carrier="Local Courier", tracking_number="LC-9")
    [note] = told(buyer, "order_shipped")
    assert note.data["tracking_url"] == "" and "Track it" not in note.body and "LC-9" in note.body


def test_shipping_that_answers_a_cancellation_request_still_tells_the_buyer_it_shipped(
        buyer, place_order, shop):
    order = paid_order(buyer, place_order, gadgets=1)
    order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind")
    order_mark_shipped(seller=shop[0].owner, order_id=order.pk, carrier="UPS", tracking_number="1Z999")
    [note] = told(buyer, "order_shipped")
    assert note.data["tracking_url"] == "https://www.ups.com/track?tracknum=1Z999"
    assert len(told(buyer, "cancellation_rejected")) == 1
    # One system message about the shipment: the rejection's, which already names the tracking.
    bodies = list(Message.objects.filter(conversation__order=order, kind=Message.Kind.SYSTEM)
                  .values_list("body", flat=True))
    assert sum("1Z999" in b for b in bodies) == 1


def test_shipping_refused_for_bad_tracking_tells_nobody(buyer, place_order, shop):
    order = paid_order(buyer, place_order, gadgets=1)
    with pytest.raises(ValidationFailed):
        order_mark_shipped(seller=shop[0].owner, order_id=order.pk, carrier="DHL", tracking_number="no spaces!")
    assert told(buyer, "order_shipped") == []


def test_rejecting_a_cancellation_as_already_shipped_tells_the_buyer_it_shipped_with_tracking(
        buyer, place_order, shop):
    order = paid_order(buyer, place_order, gadgets=1)
    order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind")
    cancellation_request_reject(seller=shop[0].owner, order_id=order.pk, reason="already_shipped", carrier="FedEx",
                                tracking_number="7712")
    [rejected] = told(buyer, "cancellation_rejected")
    [shipped] = told(buyer, "order_shipped")
    assert rejected.data["tracking_number"] == "7712"
    assert shipped.data["tracking_url"] == "https://www.fedex.com/fedextrack/?trknbr=7712"


def test_the_late_refund_sweep_tells_each_buyer_once_in_a_fixed_number_of_queries(buyer, place_order,
                                                                                   settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 10**9}
    order = paid_order(buyer, place_order)
    later = timezone.now() + timedelta(days=60)

    def late_refunds(n: int, prefix: str) -> int:
        for i in range(n):
            refund_create(order_id=order.pk, amount=usd(1), reason="goodwill", actor=None,
                          idempotency_key=f"{prefix}-{i}")
        with CaptureQueriesContext(connection) as ctx:
            assert refunds_flag_late(now=later) == n
        return len(ctx.captured_queries)

    assert late_refunds(2, "a") == late_refunds(10, "b")
    assert len(told(buyer, "refund_delayed")) == 12 and emailed(buyer, "refund_delayed") == 12
    assert refunds_flag_late(now=later + timedelta(days=1)) == 0
    assert len(told(buyer, "refund_delayed")) == 12
