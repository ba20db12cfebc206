"""Staff's escalations page reads many orders' messages at once: the same messages, in the same order,
as reading each order's on its own."""

from __future__ import annotations

from souk.messaging.selectors import order_messages_for_review, orders_messages_for_review
from souk.messaging.services import message_send
from tests.web.world import build_world


def test_many_orders_messages_at_once_equal_each_orders_read_alone(db, settings):
    settings.SOUK = {**settings.SOUK, "MESSAGE_RATE_LIMIT": 1000}
    world = build_world()
    first, second, quiet = world.order(paid=True), world.order(paid=True), world.order(paid=True)
    for i in range(5):
        message_send(sender=world.buyer, order_id=first.pk, body=f"first {i}")
        message_send(sender=world.seller, order_id=second.pk, body=f"second {i}")
    ids = [first.pk, second.pk, quiet.pk]
    together = orders_messages_for_review(order_ids=ids, limit=3)
    for order_id in ids:
        alone = order_messages_for_review(order_id=order_id, limit=3)
        assert [(m.pk, m.body, m.sender_id) for m in together[order_id]] == [
            (m.pk, m.body, m.sender_id) for m in alone]
    assert [m.body for m in together[first.pk]] == ["first 2", "first 3", "first 4"]
    assert together[quiet.pk] == [] and orders_messages_for_review(order_ids=[]) == {}
