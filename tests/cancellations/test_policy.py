"""The cancellation policy, status by status and actor by actor: every cell of the table."""

import datetime as dt

import pytest

from souk.cancellations.policy import (
    OrderSnapshot,
    Outcome,
    check_reason,
    decide_cancellation,
)
from souk.cancellations.reasons import REASONS, Actor, Fault, reasons_for
from souk.core.errors import ValidationFailed
from souk.orders.status import Status
from souk.payments.policy import goods_refund_minor, lines_refund_minor

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
S, A = Status, Actor
CANCEL, REQUEST, NO = Outcome.CANCEL_NOW, Outcome.REQUEST_SELLER, Outcome.NOT_ALLOWED

# status -> {actor: (outcome, code when refused)}
TABLE = {
    S.AWAITING_PAYMENT: {A.BUYER: (CANCEL, ""), A.SELLER: (CANCEL, ""), A.STAFF: (CANCEL, ""),
                         A.SYSTEM: (CANCEL, "")},
    S.PAYMENT_VERIFICATION: {A.BUYER: (CANCEL, ""), A.SELLER: (CANCEL, ""), A.STAFF: (CANCEL, ""),
                             A.SYSTEM: (CANCEL, "")},
    S.AWAITING_SHIPMENT: {A.BUYER: (REQUEST, ""), A.SELLER: (CANCEL, ""), A.STAFF: (CANCEL, ""),
                          A.SYSTEM: (CANCEL, "")},
    S.AWAITING_CANCELLATION: {A.BUYER: (NO, "cancellation_already_requested"), A.SELLER: (CANCEL, ""),
                              A.STAFF: (CANCEL, ""), A.SYSTEM: (CANCEL, "")},
    S.AWAITING_DELIVERY: {a: (NO, "order_already_shipped") for a in A},
    S.COMPLETED: {a: (NO, "order_completed") for a in A},
    S.CANCELLED: {a: (NO, "order_already_cancelled") for a in A},
}


def test_the_table_covers_every_status_and_every_actor():
    assert set(TABLE) == set(Status)
    assert all(set(row) == set(Actor) for row in TABLE.values())


@pytest.mark.parametrize(("status", "actor"), [(s, a) for s in Status for a in Actor])
def test_policy_cell(status, actor):
    paid = status not in (S.AWAITING_PAYMENT, S.PAYMENT_VERIFICATION)
    order = OrderSnapshot(status=status, total_minor=2598, held_minor=2598 if paid else 0,
                          respond_by=NOW + dt.timedelta(hours=48))
    decision = decide_cancellation(order, actor, NOW)
    outcome, code = TABLE[status][actor]
    assert decision.outcome is outcome
    assert decision.code == code
    if outcome is NO:
        assert not decision.allowed and decision.why_not and decision.next_step
        assert decision.refund_minor == 0
    else:
        assert decision.allowed and not decision.why_not
        assert decision.refund_minor == (2598 if paid else 0)


def test_a_shipped_order_tells_the_buyer_what_to_do_instead():
    decision = decide_cancellation(OrderSnapshot(status=S.AWAITING_DELIVERY, total_minor=100, held_minor=100),
                                   A.BUYER, NOW)
    assert "already shipped" in decision.why_not
    assert "confirm receipt" in decision.next_step and "dispute" in decision.next_step


def test_a_pending_request_names_the_sellers_deadline():
    respond_by = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
    decision = decide_cancellation(
        OrderSnapshot(status=S.AWAITING_CANCELLATION, total_minor=100, held_minor=100, respond_by=respond_by),
        A.BUYER, NOW)
    assert "29 Nov 2026, 12:00" in decision.why_not
    assert "withdraw" in decision.next_step


def test_every_reason_has_a_unique_code_a_label_and_someone_who_can_choose_it():
    codes = [r.code for r in REASONS]
    assert len(codes) == len(set(codes))
    assert all(r.label and r.chosen_by for r in REASONS)


def test_seller_fault_reasons_are_the_ones_that_count_against_a_store():
    assert {r.code for r in REASONS if r.fault is Fault.SELLER} == {
        "seller_asked_to_cancel", "out_of_stock", "ship_by_deadline_missed"}


def test_a_buyer_cannot_pick_a_platform_reason():
    with pytest.raises(ValidationFailed) as err:
        check_reason(A.BUYER, "quality_control_failure")
    assert err.value.code == "unknown_reason" and err.value.field == "reason"


def test_other_needs_a_note_and_notes_have_a_limit():
    with pytest.raises(ValidationFailed) as err:
        check_reason(A.BUYER, "other", "  ")
    assert err.value.field == "note"
    with pytest.raises(ValidationFailed) as err:
        check_reason(A.BUYER, "changed_mind", "x" * 501)
    assert err.value.code == "note_too_long"
    assert check_reason(A.BUYER, "other", "Wrong size").code == "other"


def test_buyer_pop_up_lists_only_buyer_reasons():
    assert [r.code for r in reasons_for(A.BUYER)][:2] == ["changed_mind", "ordered_by_mistake"]
    assert "out_of_stock" not in {r.code for r in reasons_for(A.BUYER)}
    assert "out_of_stock" in {r.code for r in reasons_for(A.SELLER)}


@pytest.mark.parametrize(("goods", "expected"), [
    (1000, 1000 + 150),            # half the goods: half the shipping
    (2000, 2300),                  # everything: the total exactly
    (333, 333 + 49),               # shipping share rounds down
])
def test_partial_refunds_share_shipping_by_subtotal(goods, expected):
    assert goods_refund_minor(goods_minor=goods, subtotal_minor=2000, shipping_minor=300) == expected


def test_refunding_every_part_separately_pays_back_exactly_the_total():
    kw = {"subtotal_minor": 999, "shipping_minor": 100}
    parts = [lines_refund_minor(before_minor=333 * i, goods_minor=333, **kw) for i in range(3)]
    assert sum(parts) == 999 + 100


def test_a_partial_cancellation_refunds_the_proration_rules_share_never_more_than_is_held():
    paid = {"status": S.AWAITING_SHIPMENT, "total_minor": 2300, "subtotal_minor": 2000, "shipping_minor": 300}
    half = decide_cancellation(OrderSnapshot(**paid, held_minor=2300, goods_minor=1000), A.SELLER, NOW)
    assert half.refund_minor == 1150
    second_half = decide_cancellation(OrderSnapshot(**paid, held_minor=1150, goods_before_minor=1000,
                                                    goods_minor=1000), A.SELLER, NOW)
    assert second_half.refund_minor == 1150
    after_staff_refund = decide_cancellation(OrderSnapshot(**paid, held_minor=500, goods_minor=1000), A.SELLER, NOW)
    assert after_staff_refund.refund_minor == 500
    request = decide_cancellation(OrderSnapshot(**paid, held_minor=2300, goods_minor=1000), A.BUYER, NOW)
    assert (request.outcome, request.refund_minor) == (Outcome.REQUEST_SELLER, 1150)
