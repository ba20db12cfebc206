"""Every cancellation event emails the right person, end to end.

A real user action (or the deadline service the worker's sweeps and timers call) writes the
outbox in its transaction and queues the delivery task; the worker (`souk worker --batch`, tasks
only: no sweeps, so the fast path is what is tested) sends it through a real SMTP server (aiosmtpd,
tests/notifications/receivers.py). Each test checks who received what: the address, the subject
naming the order, and a body greeting that person by name with a link to their page of the order.
"""

from __future__ import annotations

from datetime import timedelta
from email import policy
from email.parser import BytesParser
from typing import NamedTuple

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from souk.cancellations.models import CancellationRequest
from souk.cancellations.services import (
    auto_approve_requests,
    cancel_unshipped_orders,
    cancellation_request_approve,
    cancellation_request_reject,
    cancellation_request_withdraw,
    expire_unpaid_orders,
    order_cancel_by_buyer,
    order_cancel_by_seller,
    order_cancel_by_staff,
    order_cancel_by_system,
)
from souk.notifications.models import EmailMessage
from souk.orders.models import Order
from tests.notifications.receivers import SmtpServer
from tests.notifications.test_delivery import smtp_settings

pytestmark = pytest.mark.django_db(transaction=True)  # the worker sees only what was committed


class Mail(NamedTuple):
    rcpt: tuple[str, ...]
    to: str
    subject: str
    body: str


class Inbox:
    def __init__(self, server: SmtpServer):
        self.server = server
        self.seen = 0

    def deliver(self) -> list[Mail]:
        """Run the worker over the queued tasks; the mails that arrived since the last call."""
        call_command("worker", batch=True, no_sweeps=True, verbosity=0)
        assert list(EmailMessage.objects.exclude(state="sent").values_list("to", "subject", "state")) == []
        arrived = self.server.messages[self.seen:]
        self.seen = len(self.server.messages)
        mails = []
        for envelope in arrived:
            message = BytesParser(policy=policy.default).parsebytes(envelope.content)
            mails.append(Mail(tuple(envelope.rcpt_tos), str(message["To"]), str(message["Subject"]),
                              message.get_content().replace("\r\n", "\n")))
        return mails


@pytest.fixture
def inbox():
    with SmtpServer() as server, smtp_settings(server.port):
        yield Inbox(server)


def assert_mails(mails: list[Mail], order: Order, *wanted: tuple) -> None:
    """Exactly the `wanted` (user, subject) mails arrived, each to that user, about `order`."""
    assert sorted((m.rcpt, m.subject) for m in mails) == sorted(((u.email,), s) for u, s in wanted)
    people = {u.email: u for u, _ in wanted}
    base = settings.SOUK_BASE_URL.rstrip("/")
    for mail in mails:
        user = people[mail.rcpt[0]]
        assert mail.to == user.email
        assert order.number in mail.subject
        page = "orders:seller_order_detail" if user.pk == order.store.owner_id else "orders:order_detail"
        assert mail.body.startswith(f"Hello {user.name},\n")
        link = base + reverse(page, kwargs={"number": order.number})
        assert f"Order {order.display_number}: {link}" in mail.body


@pytest.fixture
def requested(buyer, place_order, inbox):
    """A paid order the buyer asked to cancel; the request's own mail already delivered."""
    order = place_order(paid=True)
    order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind")
    inbox.deliver()
    return Order.objects.select_related("store").get(pk=order.pk)


# --- the buyer asks, the seller answers --------------------------------------------------------

def test_the_buyers_request_emails_the_seller(buyer, seller, place_order, inbox):
    order = place_order(paid=True)
    result = order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind")
    assert result.request is not None
    mails = inbox.deliver()
    assert_mails(mails, order, (seller, f"Cancellation requested for order {order.number}"))
    assert f"The buyer asked to cancel order {order.number}: I changed my mind." in mails[0].body


def test_the_sellers_approval_emails_the_buyer(buyer, seller, requested, inbox):
    cancellation_request_approve(seller=seller, order_id=requested.pk)
    mails = inbox.deliver()
    assert_mails(mails, requested, (buyer, f"Order {requested.number} cancelled"),
                 (buyer, f"Refund started for order {requested.number}"))
    approved = f"Your cancellation request for order {requested.number} was approved."
    assert any(approved in m.body for m in mails)


def test_the_sellers_rejection_emails_the_buyer(buyer, seller, requested, inbox):
    cancellation_request_reject(seller=seller, order_id=requested.pk, reason="buyer_agreed_to_keep")
    mails = inbox.deliver()
    assert_mails(mails, requested, (buyer, f"Cancellation request rejected for order {requested.number}"))
    assert "The buyer agreed to keep the order" in mails[0].body


def test_the_buyers_withdrawal_emails_the_seller(buyer, seller, requested, inbox):
    cancellation_request_withdraw(buyer=buyer, order_id=requested.pk)
    mails = inbox.deliver()
    assert_mails(mails, requested, (seller, f"Cancellation request withdrawn for order {requested.number}"))


def test_an_unanswered_request_approved_automatically_emails_the_buyer(buyer, requested, inbox):
    respond_by = CancellationRequest.objects.get(order=requested).respond_by
    assert auto_approve_requests(now=respond_by + timedelta(minutes=1)) == 1
    mails = inbox.deliver()
    assert_mails(mails, requested, (buyer, f"Order {requested.number} cancelled"),
                 (buyer, f"Refund started for order {requested.number}"))
    assert any("approved automatically" in m.body for m in mails)


# --- cancelled at once --------------------------------------------------------------------------

def test_the_buyer_cancelling_an_unpaid_order_emails_the_seller(buyer, seller, place_order, inbox):
    order = place_order()
    order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="ordered_by_mistake")
    mails = inbox.deliver()
    assert_mails(mails, order, (seller, f"Order {order.number} cancelled by the buyer"))
    assert "I ordered by mistake" in mails[0].body


def test_the_sellers_cancellation_emails_the_buyer(buyer, seller, place_order, inbox):
    order = place_order(paid=True)
    order_cancel_by_seller(seller=seller, order_id=order.pk, reason="out_of_stock")
    mails = inbox.deliver()
    assert_mails(mails, order, (buyer, f"Order {order.number} cancelled"),
                 (buyer, f"Refund started for order {order.number}"))
    assert any(f"Order {order.number} was cancelled by the seller: Out of stock." in m.body for m in mails)


def test_a_staff_cancellation_emails_the_buyer_and_the_seller(buyer, seller, staff, place_order, inbox):
    order = place_order(paid=True)
    order_cancel_by_staff(staff=staff, order_id=order.pk, reason="quality_control_failure")
    mails = inbox.deliver()
    assert_mails(mails, order, (buyer, f"Order {order.number} cancelled"),
                 (seller, f"Order {order.number} cancelled"),
                 (buyer, f"Refund started for order {order.number}"))
    assert all("by Souk: Failed quality control." in m.body for m in mails if "Refund" not in m.subject)


def test_a_system_cancellation_emails_the_buyer_and_the_seller(buyer, seller, place_order, inbox):
    order = place_order()
    order_cancel_by_system(order_id=order.pk, reason="payment_failure")
    mails = inbox.deliver()
    assert_mails(mails, order, (buyer, f"Order {order.number} cancelled"),
                 (seller, f"Order {order.number} cancelled"))


def test_a_missed_ship_by_deadline_emails_the_buyer_and_the_seller(buyer, seller, place_order, inbox):
    order = place_order(paid=True)
    assert cancel_unshipped_orders(order_ids=[order.pk], now=order.ship_by + timedelta(minutes=1)) == 1
    mails = inbox.deliver()
    by = f"{order.ship_by:%d %b %Y}"
    assert_mails(mails, order, (buyer, f"Order {order.number} cancelled: the seller did not ship it in time"),
                 (seller, f"Order {order.number} cancelled: not shipped by {by}"),
                 (buyer, f"Refund started for order {order.number}"))
    assert any(f"the seller did not ship it by {by}. You are refunded in full." in m.body for m in mails)


def test_an_expired_payment_window_emails_the_buyer(buyer, place_order, inbox):
    order = place_order()
    assert expire_unpaid_orders(order_ids=[order.pk], now=order.pay_by + timedelta(minutes=1)) == 1
    mails = inbox.deliver()  # the worker runs the batch's notification step, then the delivery it queued
    assert_mails(mails, order, (buyer, f"Order {order.number} cancelled"))
    assert "Payment was not completed in time. Nothing was charged." in mails[0].body
