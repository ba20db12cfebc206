"""Real races on PostgreSQL: first messages at once, bursts against the rate limit."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from souk.checkout.services import CheckoutLine, checkout
from souk.core.errors import DomainError
from souk.messaging import selectors
from souk.messaging.models import Conversation, Message
from souk.messaging.services import message_send, post_system_message
from tests.factories import (
    AddressFactory,
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    UserFactory,
)


def _order():
    product = ProductFactory()
    option = ShippingOptionFactory(store=product.store)
    ShippingRateFactory(option=option)
    buyer = UserFactory()
    address = AddressFactory(user=buyer)
    return checkout(buyer=buyer, address_id=address.pk, lines=[CheckoutLine(product.pk, 1)],
                    shipping={product.store_id: option.pk})[0]


def _race(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            barrier.wait()
            call()
            result = "ok"
        except DomainError as exc:
            result = exc.code
        except Exception as exc:  # noqa: BLE001 - a deadlock or duplicate would surface here
            result = repr(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_buyer_seller_and_a_system_event_opening_the_conversation_at_once_share_one_conversation():
    order = _order()
    seller = order.store.owner
    outcomes = _race([
        lambda: message_send(sender=order.buyer, order_id=order.pk, body="from the buyer"),
        lambda: message_send(sender=seller, order_id=order.pk, body="from the seller"),
        lambda: post_system_message(order=order, body="Cancellation requested"),
    ])
    assert outcomes == ["ok", "ok", "ok"]
    assert Conversation.objects.count() == 1
    assert Message.objects.filter(conversation__order=order).count() == 3
    # Whatever the commit order: each side's unread messages are those after its own last message.
    senders = list(Message.objects.filter(conversation__order=order).order_by("id").values_list("sender_id",
                                                                                                flat=True))
    for user in (order.buyer, seller):
        own = [i for i, s in enumerate(senders) if s == user.pk]
        assert selectors.unread_count(user=user) == len(senders) - own[-1] - 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_fifteen_messages_at_once_lets_exactly_ten_through():
    order = _order()
    outcomes = _race([
        (lambda i=i: message_send(sender=order.buyer, order_id=order.pk, body=f"spam {i}")) for i in range(15)
    ])
    assert outcomes == ["ok"] * 10 + ["rate_limited"] * 5
    assert Message.objects.count() == 10
    assert selectors.unread_count(user=order.store.owner) == 10
