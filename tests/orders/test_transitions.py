"""Status changes go through one transition() that checks the table and writes the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from souk.core.errors import NotFound, ValidationFailed
from souk.fulfilment.services import order_confirm_receipt, order_mark_shipped
from souk.orders import events
from souk.orders.models import Order
from souk.orders.services import lock_order, transition
from souk.orders.status import Action, TransitionNotAllowed
from tests.orders.conftest import pay, place


@pytest.fixture
def order(buyer, store_a):
    return place(buyer, (store_a[1], 1))[0]


def test_paying_moves_to_awaiting_shipment_starts_the_ship_by_clock_and_writes_the_timeline(order):
    now = timezone.now()
    with transaction.atomic():
        paid = transition(order=lock_order(order_id=order.pk), action=Action.PAY, actor=None,
                          actor_role="system", message="Captured", data={"payment": 7}, now=now)
    assert paid.status == "awaiting_shipment"
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.paid_at, stored.ship_by) == ("awaiting_shipment", now, now + timedelta(days=5))
    event = stored.events.order_by("pk").last()
    assert (event.kind, event.from_status, event.to_status, event.actor_role, event.message, event.data) == (
        "pay", "awaiting_payment", "awaiting_shipment", "system", "Captured", {"payment": 7})


def test_a_move_the_table_forbids_is_refused_and_changes_nothing(order):
    with pytest.raises(TransitionNotAllowed) as err, transaction.atomic():
        transition(order=lock_order(order_id=order.pk), action=Action.SHIP, actor=None, actor_role="system")
    assert (err.value.status, err.value.code) == (409, "transition_not_allowed")
    assert Order.objects.get(pk=order.pk).status == "awaiting_payment"
    assert order.events.count() == 1


def test_a_stale_order_instance_cannot_move_twice(order):
    pay(order)
    with pytest.raises(TransitionNotAllowed):  # `order` still says awaiting_payment
        transition(order=order, action=Action.PAY, actor=None, actor_role="system")
    assert order.events.filter(kind="pay").count() == 1


def test_cancelling_stamps_cancelled_at(order, buyer):
    with transaction.atomic():
        cancelled = transition(order=lock_order(order_id=order.pk, buyer=buyer), action=Action.CANCEL,
                               actor=buyer, actor_role="buyer")
    assert cancelled.cancelled_at is not None
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_the_seller_ships_with_tracking_and_buyer_protection_starts(order, store_a):
    pay(order)
    seller = store_a[0].owner
    now = timezone.now()
    shipped = order_mark_shipped(seller=seller, order_id=order.pk, carrier=" DHL ", tracking_number="JD-0146", now=now)
    stored = Order.objects.get(pk=order.pk)
    assert shipped.status == stored.status == "awaiting_delivery"
    assert (stored.tracking_carrier, stored.tracking_number, stored.shipped_at) == ("DHL", "JD-0146", now)
    assert stored.protection_ends_at == now + timedelta(days=45)
    event = stored.events.order_by("pk").last()
    assert (event.kind, event.actor_id, event.actor_role, event.data) == (
        "ship", seller.pk, "seller", {"carrier": "DHL", "tracking_number": "JD-0146"})


def test_another_seller_cannot_ship_the_order(order, store_b):
    pay(order)
    with pytest.raises(NotFound):
        order_mark_shipped(seller=store_b[0].owner, order_id=order.pk, carrier="DHL", tracking_number="X1")
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"


def test_an_unpaid_order_cannot_be_shipped(order, store_a):
    with pytest.raises(TransitionNotAllowed):
        order_mark_shipped(seller=store_a[0].owner, order_id=order.pk, carrier="DHL", tracking_number="X1")
    assert Order.objects.get(pk=order.pk).tracking_number == ""


@pytest.mark.parametrize(("carrier", "tracking", "field", "code"), [
    ("", "X1", "carrier", "required"),
    ("D" * 81, "X1", "carrier", "too_long"),
    ("DHL", "  ", "tracking_number", "required"),
    ("DHL", "AB 12", "tracking_number", "invalid_tracking_number"),
    ("DHL", "<script>", "tracking_number", "invalid_tracking_number"),
    ("DHL", "1" * 81, "tracking_number", "too_long"),
])
def test_bad_tracking_details_name_the_field_and_change_nothing(order, store_a, carrier, tracking, field, code):
    pay(order)
    with pytest.raises(ValidationFailed) as err:
        order_mark_shipped(seller=store_a[0].owner, order_id=order.pk, carrier=carrier, tracking_number=tracking)
    assert (err.value.field, err.value.code) == (field, code)
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"


def test_the_buyer_confirms_receipt_and_the_order_completes(order, buyer, store_a):
    pay(order)
    order_mark_shipped(seller=store_a[0].owner, order_id=order.pk, carrier="DHL", tracking_number="X1")
    done = order_confirm_receipt(buyer=buyer, order_id=order.pk)
    assert done.status == "completed" and done.completed_at is not None
    kinds = list(order.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["order_placed", "pay", "ship", "confirm_receipt"]


def test_receipt_cannot_be_confirmed_before_shipment(order, buyer):
    pay(order)
    with pytest.raises(TransitionNotAllowed):
        order_confirm_receipt(buyer=buyer, order_id=order.pk)


def test_another_buyer_cannot_confirm_receipt(order, other_buyer, store_a):
    pay(order)
    order_mark_shipped(seller=store_a[0].owner, order_id=order.pk, carrier="DHL", tracking_number="X1")
    with pytest.raises(NotFound):
        order_confirm_receipt(buyer=other_buyer, order_id=order.pk)
    assert Order.objects.get(pk=order.pk).status == "awaiting_delivery"


def test_a_note_on_the_timeline_does_not_change_the_status(order, buyer):
    events.record(order_id=order.pk, kind="address_fixed", actor_role="buyer", actor=buyer, message="Hello",
                  data={"conversation": 1})
    note = order.events.order_by("pk").last()
    assert (note.kind, note.actor_id, note.from_status, note.to_status) == ("address_fixed", buyer.pk, "", "")
    assert Order.objects.get(pk=order.pk).status == "awaiting_payment"
