"""Every move on every status, tried on a real order: it goes where docs/orders.md says and lands on the
timeline, or it is refused (409 `transition_not_allowed`) and the order is exactly as it was.

The expectations are docs/orders.md ("The moves") written out by hand: each move the docs list, from
one status to another. Every other (status, move) pair, the docs say, is refused.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from souk.orders.models import Order, OrderEvent
from souk.orders.services import lock_order, transition
from souk.orders.status import Action, Status, TransitionNotAllowed
from tests.orders.conftest import place

# move                 | from                   | to
MOVES = """
pay                    | awaiting payment       | awaiting shipment
hold for verification  | awaiting payment       | payment being verified
verify                 | payment being verified | awaiting shipment
request cancellation   | awaiting shipment      | awaiting cancellation
resume                 | awaiting cancellation  | awaiting shipment
ship                   | awaiting shipment      | awaiting delivery
ship                   | awaiting cancellation  | awaiting delivery
confirm receipt        | awaiting delivery      | completed
cancel                 | awaiting payment       | cancelled
cancel                 | payment being verified | cancelled
cancel                 | awaiting shipment      | cancelled
cancel                 | awaiting cancellation  | cancelled
"""

# The docs' words for the values the database stores.
STATUS = {"awaiting payment": "awaiting_payment", "payment being verified": "payment_verification",
          "awaiting shipment": "awaiting_shipment", "awaiting cancellation": "awaiting_cancellation",
          "awaiting delivery": "awaiting_delivery", "completed": "completed", "cancelled": "cancelled"}
MOVE = {"pay": "pay", "hold for verification": "hold_for_verification", "verify": "verify",
        "request cancellation": "request_cancellation", "resume": "resume", "ship": "ship",
        "confirm receipt": "confirm_receipt", "cancel": "cancel"}
# docs/orders.md, "What a move records": the timestamp each move writes.
STAMP = {"pay": "paid_at", "hold_for_verification": "paid_at", "ship": "shipped_at",
         "confirm_receipt": "completed_at", "cancel": "cancelled_at"}


def _cases() -> list[tuple[str, str, str | None]]:
    allowed = {}
    for line in MOVES.strip().splitlines():
        move, source, target = (cell.strip() for cell in line.split("|"))
        allowed[(STATUS[source], MOVE[move])] = STATUS[target]
    return [(status, move, allowed.get((status, move)))
            for status in STATUS.values() for move in MOVE.values()]


CASES = _cases()


def test_the_cases_cover_every_status_and_every_move_the_code_knows():
    assert {s for s, _, _ in CASES} == {s.value for s in Status}
    assert {m for _, m, _ in CASES} == {a.value for a in Action}
    assert len(CASES) == len(Status) * len(Action)


@pytest.fixture
def order_in(buyer, store_a):
    """A real placed order, then set to `status` (only the status: the move under test does the rest)."""
    def make(status: str) -> Order:
        [order] = place(buyer, (store_a[1], 1))
        Order.objects.filter(pk=order.pk).update(status=status)
        return Order.objects.get(pk=order.pk)

    return make


@pytest.mark.parametrize(("status", "move", "target"), CASES,
                         ids=[f"{s}-{m}" for s, m, _ in CASES])
def test_a_move_on_a_real_order_goes_where_the_docs_say_or_changes_nothing(order_in, status, move, target):
    order = order_in(status)
    before = model_to_dict(Order.objects.get(pk=order.pk))
    events_before = OrderEvent.objects.filter(order=order).count()
    now = timezone.now() + timedelta(minutes=5)

    if target is None:
        with pytest.raises(TransitionNotAllowed) as refused, transaction.atomic():
            transition(order=lock_order(order_id=order.pk), action=Action(move), actor=None,
                       actor_role="system", now=now)
        assert (refused.value.status, refused.value.code) == (409, "transition_not_allowed")
        assert model_to_dict(Order.objects.get(pk=order.pk)) == before
        assert OrderEvent.objects.filter(order=order).count() == events_before
        return

    with transaction.atomic():
        transition(order=lock_order(order_id=order.pk), action=Action(move), actor=None, actor_role="system",
                   now=now)
    after = Order.objects.get(pk=order.pk)
    assert after.status == target
    event = OrderEvent.objects.filter(order=order).order_by("-id").first()
    assert OrderEvent.objects.filter(order=order).count() == events_before + 1
    assert (event.kind, event.from_status, event.to_status) == (move, status, target)
    if move in STAMP:
        assert getattr(after, STAMP[move]) == now
    if target == "awaiting_shipment" and before["ship_by"] is None:
        assert after.ship_by == now + timedelta(days=after.handling_days)  # the seller's clock starts
    elif target == "awaiting_shipment":
        assert after.ship_by == before["ship_by"]  # a resumed order keeps its deadline


def test_a_shipped_order_cannot_be_cancelled_and_says_why_in_words(order_in):
    order = order_in("awaiting_delivery")
    with pytest.raises(TransitionNotAllowed) as refused, transaction.atomic():
        transition(order=lock_order(order_id=order.pk), action=Action.CANCEL, actor=None, actor_role="buyer")
    assert refused.value.message == "Cannot cancel an order that is awaiting delivery."
