from __future__ import annotations

from souk.messaging.models import Conversation, Message, Participant
from souk.messaging.services import post_system_message


def test_a_system_message_opens_the_order_conversation_and_is_unread_for_both_parties(order, seller):
    post_system_message(order=order, body="Cancellation requested: changed my mind", data={"event": "x"})
    conversation = Conversation.objects.get(order=order)
    assert (conversation.buyer_id, conversation.store_id) == (order.buyer_id, order.store_id)
    message = Message.objects.get(conversation=conversation)
    assert (message.kind, message.sender_id, message.body, message.data) == (
        "system", None, "Cancellation requested: changed my mind", {"event": "x"})
    members = dict(Participant.objects.filter(conversation=conversation).values_list("user_id", "unread_count"))
    assert members == {order.buyer_id: 1, seller.pk: 1}


def test_later_system_messages_reuse_the_conversation(order):
    post_system_message(order=order, body="one")
    post_system_message(order=order, body="two")
    assert Conversation.objects.count() == 1
    assert list(Message.objects.values_list("body", flat=True)) == ["one", "two"]
    assert Conversation.objects.get().last_message_id == Message.objects.get(body="two").pk
