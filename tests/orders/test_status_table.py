"""The order status table: every allowed move, and a named refusal for every other."""

import pytest

from souk.orders.status import TRANSITIONS, Action, Status, TransitionNotAllowed, allowed_actions, next_status


@pytest.mark.parametrize(("action", "source", "target"), [(a, s, t) for (a, s), t in TRANSITIONS.items()])
def test_every_listed_move_leads_where_the_table_says(action, source, target):
    assert next_status(action, source) == target


@pytest.mark.parametrize("source", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_unlisted_move_is_refused_with_a_named_error(action, source):
    if (action, source) in TRANSITIONS:
        return
    with pytest.raises(TransitionNotAllowed) as err:
        next_status(action, source)
    assert err.value.code == "transition_not_allowed"
    assert err.value.status == 409


def test_finished_orders_cannot_move_at_all():
    assert allowed_actions(Status.COMPLETED) == []
    assert allowed_actions(Status.CANCELLED) == []


def test_a_shipped_order_cannot_be_cancelled():
    with pytest.raises(TransitionNotAllowed, match="awaiting delivery"):
        next_status(Action.CANCEL, Status.AWAITING_DELIVERY)
