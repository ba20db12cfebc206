"""Messaging rules: who may write, what a message may be, how fast, and what is unread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from souk.core.errors import NotFound, ValidationFailed
from souk.messaging import selectors
from souk.messaging.errors import RateLimited
from souk.messaging.models import Conversation, Message
from souk.messaging.services import conversation_mark_read, message_send, post_system_message
from souk.notifications.models import EmailMessage, Notification
from tests.factories import (
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    StoreFactory,
    UserFactory,
)


def test_the_buyer_writes_and_the_seller_is_notified_and_sees_it_unread(order, seller):
    message = message_send(sender=order.buyer, order_id=order.pk, body="  Can you ship in blue?  \n")
    assert message.body == "Can you ship in blue?"
    assert selectors.unread_count(user=seller) == 1
    assert selectors.unread_count(user=order.buyer) == 0
    note = Notification.objects.get()
    assert (note.recipient_id, note.kind, note.order_id) == (seller.pk, "message_received", order.pk)
    assert note.data == {"conversation_id": message.conversation_id, "message_id": message.pk}
    assert EmailMessage.objects.get().to == seller.email


def test_the_seller_answers_in_the_same_conversation(order, seller):
    message_send(sender=order.buyer, order_id=order.pk, body="Hello?")
    message_send(sender=seller, order_id=order.pk, body="Hello! Shipping tomorrow.")
    conversation, messages = selectors.conversation_for_order(user=order.buyer, order_id=order.pk)
    assert Conversation.objects.count() == 1
    assert [(m.sender_id, m.body) for m in messages] == [(order.buyer_id, "Hello?"),
                                                        (seller.pk, "Hello! Shipping tomorrow.")]
    # Answering implies reading: the seller has nothing unread, the buyer has the answer.
    assert selectors.unread_count(user=seller) == 0
    assert selectors.unread_count(user=order.buyer) == 1


def test_someone_outside_the_order_gets_not_found_and_nothing_is_written(order, other_buyer):
    with pytest.raises(NotFound):
        message_send(sender=other_buyer, order_id=order.pk, body="Hi")
    with pytest.raises(NotFound):
        selectors.conversation_for_order(user=other_buyer, order_id=order.pk)
    assert not Message.objects.exists() and not Conversation.objects.exists()


def test_an_empty_or_blank_message_is_refused_on_the_body_field(order):
    for body in ("", "   \n\t "):
        with pytest.raises(ValidationFailed) as exc:
            message_send(sender=order.buyer, order_id=order.pk, body=body)
        assert (exc.value.code, exc.value.field) == ("message_empty", "body")
    assert not Message.objects.exists()


def test_a_message_longer_than_2000_characters_is_refused_and_2000_is_fine(order):
    with pytest.raises(ValidationFailed) as exc:
        message_send(sender=order.buyer, order_id=order.pk, body="x" * 2001)
    assert (exc.value.code, exc.value.field) == ("message_too_long", "body")
    assert not Message.objects.exists()
    assert len(message_send(sender=order.buyer, order_id=order.pk, body="x" * 2000).body) == 2000


def test_the_eleventh_message_within_a_minute_is_rate_limited_and_a_minute_later_it_goes(order):
    for i in range(10):
        message_send(sender=order.buyer, order_id=order.pk, body=f"message {i}")
    with pytest.raises(RateLimited) as exc:
        message_send(sender=order.buyer, order_id=order.pk, body="one too many")
    assert (exc.value.status, exc.value.code) == (429, "rate_limited")
    assert 1 <= exc.value.retry_after <= 61
    assert Message.objects.count() == 10
    Message.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    message_send(sender=order.buyer, order_id=order.pk, body="later")
    assert Message.objects.count() == 11


@override_settings(SOUK={"MESSAGE_RATE_LIMIT": 2})
def test_the_rate_limit_is_per_user_across_conversations(order, seller):
    message_send(sender=order.buyer, order_id=order.pk, body="a")
    message_send(sender=order.buyer, store_id=ProductFactory().store_id, body="b")
    with pytest.raises(RateLimited):
        message_send(sender=order.buyer, order_id=order.pk, body="c")
    message_send(sender=seller, order_id=order.pk, body="the seller is not limited by the buyer")


@override_settings(SOUK={"MESSAGE_RATE_LIMIT": 2})
def test_order_updates_in_the_conversation_do_not_use_up_the_buyers_messages(order, seller):
    for i in range(5):
        post_system_message(order=order, body=f"event {i}")
    message_send(sender=order.buyer, order_id=order.pk, body="first")
    message_send(sender=order.buyer, order_id=order.pk, body="second")
    # The buyer's two messages are there after the five updates; the limit counts only the buyer's own.
    conversation = Message.objects.filter(conversation__order=order).order_by("id")
    assert list(conversation.values_list("kind", "body")) == (
        [("system", f"event {i}") for i in range(5)] + [("user", "first"), ("user", "second")])
    with pytest.raises(RateLimited):
        message_send(sender=order.buyer, order_id=order.pk, body="third")


def test_a_buyer_asks_a_store_before_buying_and_the_seller_replies_by_conversation(buyer, other_buyer):
    store = StoreFactory()
    first = message_send(sender=buyer, store_id=store.pk, body="Do you ship to Mars?")
    message_send(sender=buyer, store_slug=store.slug, body="Asking again")
    conversation = Conversation.objects.get()
    assert (conversation.buyer_id, conversation.store_id, conversation.order_id) == (buyer.pk, store.pk, None)
    assert first.conversation_id == conversation.pk
    assert selectors.unread_count(user=store.owner) == 2
    message_send(sender=store.owner, conversation_id=conversation.pk, body="Not yet.")
    assert selectors.unread_count(user=buyer) == 1
    with pytest.raises(NotFound):
        message_send(sender=other_buyer, conversation_id=conversation.pk, body="me too")
    # Another buyer asking the same store gets a conversation of their own.
    message_send(sender=other_buyer, store_id=store.pk, body="Hi")
    assert Conversation.objects.count() == 2


def test_a_seller_cannot_open_a_conversation_with_their_own_store(buyer):
    store = StoreFactory(owner=buyer)
    with pytest.raises(ValidationFailed) as exc:
        message_send(sender=buyer, store_id=store.pk, body="hello me")
    assert exc.value.code == "own_store"


def test_an_unknown_or_inactive_store_is_not_found(buyer):
    store = StoreFactory(is_active=False)
    for key in ({"store_id": store.pk}, {"store_slug": "no-such-store"}):
        with pytest.raises(NotFound):
            message_send(sender=buyer, body="hi", **key)


def test_marking_read_clears_the_count_and_remembers_the_last_message(order, seller):
    message_send(sender=order.buyer, order_id=order.pk, body="one")
    last = message_send(sender=order.buyer, order_id=order.pk, body="two")
    post_system_message(order=order, body="Cancellation requested")
    assert selectors.unread_count(user=seller) == 3
    conversation_id = conversation_mark_read(user=seller, order_number=order.number)
    assert selectors.unread_count(user=seller) == 0
    view = selectors.order_conversation(user=seller, order_id=order.pk)
    assert view.last_read_message_id == Message.objects.latest("id").pk > last.pk
    assert conversation_id == view.conversation.pk
    with pytest.raises(NotFound):
        conversation_mark_read(user=UserFactory(), conversation_id=conversation_id)


def test_unread_count_is_one_query_whatever_the_number_of_conversations(buyer, django_assert_num_queries):
    for _ in range(5):
        store = StoreFactory()
        question = message_send(sender=buyer, store_id=store.pk, body="q")
        message_send(sender=store.owner, conversation_id=question.conversation_id, body="a")
    with django_assert_num_queries(1):
        assert selectors.unread_count(user=buyer) == 5


def test_the_order_conversation_costs_the_same_queries_for_3_or_30_messages(order, seller):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _, messages = selectors.conversation_for_order(user=seller, order_id=order.pk)
            [m.sender for m in messages]
        return len(ctx.captured_queries)

    for i in range(3):
        post_system_message(order=order, body=f"e{i}")
    few = count()
    for i in range(27):
        post_system_message(order=order, body=f"f{i}")
    assert count() == few <= 3


def test_older_messages_page_backwards(order):
    for i in range(5):
        post_system_message(order=order, body=f"e{i}")
    view = selectors.order_conversation(user=order.buyer, order_id=order.pk, limit=2)
    assert [m.body for m in view.messages] == ["e3", "e4"] and view.has_older
    view = selectors.order_conversation(user=order.buyer, order_id=order.pk, limit=2,
                                        before=view.messages[0].pk)
    assert [m.body for m in view.messages] == ["e1", "e2"] and view.has_older


def test_my_conversations_list_newest_activity_first_with_a_cursor(buyer, order, seller,
                                                                   django_assert_max_num_queries):
    stores = [StoreFactory() for _ in range(3)]
    for store in stores:
        message_send(sender=buyer, store_id=store.pk, body=f"question for {store.name}")
    message_send(sender=seller, order_id=order.pk, body="Your order ships today")
    with django_assert_max_num_queries(2):
        page = selectors.conversations_for_user(user=buyer, limit=3)
    assert [r.order_number for r in page.items] == [order.number, None, None]
    assert page.items[0].other_party == order.store.name and page.items[0].unread_count == 1
    assert page.items[0].last_message_preview == "Your order ships today"
    assert [r.store_slug for r in page.items[1:]] == [stores[2].slug, stores[1].slug]
    rest = selectors.conversations_for_user(user=buyer, cursor=page.next_cursor, limit=3)
    assert [r.store_slug for r in rest.items] == [stores[0].slug] and rest.next_cursor is None
    # The seller sees the buyer's name on their side.
    seller_page = selectors.conversations_for_user(user=seller)
    assert [(r.role, r.other_party) for r in seller_page.items] == [("seller", buyer.name)]


def test_a_bad_cursor_is_a_field_error(buyer):
    with pytest.raises(ValidationFailed) as exc:
        selectors.conversations_for_user(user=buyer, cursor="not-a-cursor")
    assert exc.value.field == "cursor"


def test_an_order_buyer_who_owns_no_store_and_a_second_order_get_separate_conversations(buyer, product, order):
    from souk.checkout.services import CheckoutLine, checkout

    option = ShippingOptionFactory(store=product.store)
    ShippingRateFactory(option=option)
    second = checkout(buyer=buyer, address_id=buyer.addresses.first().pk, lines=[CheckoutLine(product.pk, 1)],
                      shipping={product.store_id: option.pk})[0]
    message_send(sender=buyer, order_id=order.pk, body="about the first")
    message_send(sender=buyer, order_id=second.pk, body="about the second")
    assert Conversation.objects.filter(order__isnull=False).count() == 2


def test_a_nul_character_is_refused_by_the_service_on_the_body_field(order):
    with pytest.raises(ValidationFailed) as exc:
        message_send(sender=order.buyer, order_id=order.pk, body="a\x00b")
    assert (exc.value.code, exc.value.field) == ("invalid_characters", "body")
