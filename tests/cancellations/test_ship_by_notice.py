"""When the seller misses the ship-by deadline, the buyer is told what happened, not "cancelled by Souk".

docs/cancellations.md (Timers): ship-by passed and nothing shipped → cancelled
`ship_by_deadline_missed`, seller fault, full refund. docs/notifications.md names the kind.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from souk.cancellations.services import cancel_unshipped_orders
from souk.messaging.models import Message
from souk.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_buyer_whose_seller_missed_ship_by_reads_that_the_seller_did_not_ship_and_the_full_refund(
        buyer, seller, place_order):
    order = place_order(gadgets=1, paid=True)  # $23.00
    assert cancel_unshipped_orders(now=order.ship_by + timedelta(minutes=1)) == 1

    note = Notification.objects.get(recipient=buyer, order=order, kind="order_cancelled_not_shipped")
    text = f"{note.title} {note.body}"
    assert "Souk" not in text and "platform" not in text
    assert f"the seller did not ship it by {order.ship_by:%d %b %Y}" in note.body
    assert "refunded in full" in note.body and "$23.00" in note.body
    assert note.data["reason"] == "ship_by_deadline_missed"
    assert not Notification.objects.filter(kind="order_cancelled_by_platform").exists()


def test_the_seller_is_told_the_order_was_cancelled_because_they_did_not_ship_by_the_deadline(
        buyer, seller, place_order):
    order = place_order(gadgets=1, paid=True)
    cancel_unshipped_orders(now=order.ship_by + timedelta(minutes=1))

    note = Notification.objects.get(recipient=seller, order=order, kind="order_cancelled_not_shipped")
    assert f"not shipped by {order.ship_by:%d %b %Y}" in note.body and "Souk" not in note.body
    # The order's conversation (both sides read it) says the same once, in words fit for both.
    [posted] = Message.objects.filter(conversation__order=order, kind="system").values_list("body", flat=True)
    assert f"not shipped by {order.ship_by:%d %b %Y}" in posted and "you" not in posted.lower().split()
