"""The page header's badges ask each app for its own count (souk/web/header.py): two indexed queries."""

from __future__ import annotations

from souk.messaging.services import message_send
from souk.web.header import UnreadCounts, unread_counts


def test_the_header_badges_count_a_new_message_and_its_notification_in_two_queries(
        world, django_assert_num_queries):
    order = world.order(paid=True)
    message_send(sender=world.buyer, order_id=order.pk, body="hello")
    with django_assert_num_queries(2):
        counts = unread_counts(world.seller)
    assert counts.messages == 1 and counts.notifications >= 1
    assert unread_counts(world.buyer).messages == 0


def test_a_signed_out_visitor_has_no_badges(db):
    from django.contrib.auth.models import AnonymousUser

    assert unread_counts(AnonymousUser()) == UnreadCounts(messages=0, notifications=0)
