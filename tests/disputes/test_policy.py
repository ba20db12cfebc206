"""The dispute policy, table by table: who may do what in each state, and why not (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from souk.disputes.policy import Act, DisputeFacts, OrderFacts, decide, may_open

NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)
SHIPPED = NOW - timedelta(days=12)


def order(**kw):
    base = dict(
        status="awaiting_delivery",
        shipped_at=SHIPPED,
        delivery_max_days=8,
        protection_ends_at=NOW + timedelta(days=40),
        held_minor=4300,
    )
    return OrderFacts(**{**base, **kw})


@pytest.mark.parametrize(
    "facts, reason, code",
    [
        (order(), "not_received", ""),
        (order(shipped_at=NOW - timedelta(days=9)), "not_received", "too_early_for_not_received"),
        (order(delivery_max_days=20), "not_received", "too_early_for_not_received"),  # the promise is longer
        (order(), "damaged", ""),
        (order(status="completed", completed_at=NOW - timedelta(days=3)), "damaged", ""),
        (
            order(status="completed", completed_at=NOW - timedelta(days=16)),
            "damaged",
            "dispute_window_closed",
        ),
        (order(status="completed", completed_at=NOW - timedelta(days=1)), "not_received", "order_received"),
        (
            order(status="completed", completed_at=NOW, escrow_settled=True),
            "damaged",
            "escrow_already_released",
        ),
        (order(held_minor=0), "wrong_item", "escrow_already_released"),
        (order(open_dispute=True), "damaged", "dispute_already_open"),
        (order(protection_ends_at=NOW), "not_received", "buyer_protection_ended"),
        (order(protection_ends_at=NOW - timedelta(hours=1)), "damaged", "buyer_protection_ended"),
        (order(status="awaiting_shipment", shipped_at=None), "damaged", "order_not_shipped"),
        (order(status="cancelled"), "damaged", "order_cancelled"),
    ],
)
def test_who_may_open_a_dispute_and_when(facts, reason, code):
    verdict = may_open(facts, reason, NOW)
    assert verdict.allowed == (code == "") and verdict.code == code
    if code:
        assert verdict.why_not and verdict.next_step


def test_a_released_escrow_refusal_says_the_money_went_to_the_seller():
    verdict = may_open(order(status="completed", completed_at=NOW, escrow_settled=True), "damaged", NOW)
    assert "already released to the seller" in verdict.why_not


OPENED = NOW - timedelta(days=4)


def dispute(state="open", last="buyer", rejection=False, opened=OPENED):
    return DisputeFacts(
        state=state,
        opened_at=opened,
        negotiate_until=opened + timedelta(days=7),
        last_offer_party=last,
        last_offer_is_rejection=rejection,
    )


@pytest.mark.parametrize(
    "facts, party, act, code",
    [
        # The seller answers a new dispute.
        (dispute(), "seller", Act.ACCEPT, ""),
        (dispute(), "seller", Act.COUNTER, ""),
        (dispute(), "seller", Act.REJECT, ""),
        (dispute(), "buyer", Act.ACCEPT, "own_offer"),
        (dispute(), "buyer", Act.REJECT, "seller_only"),
        # Negotiation: accept the other side's offer, never your own, never a rejection.
        (dispute("negotiating", last="seller"), "buyer", Act.ACCEPT, ""),
        (dispute("negotiating", last="seller", rejection=True), "buyer", Act.ACCEPT, "nothing_to_accept"),
        (dispute("negotiating", last="seller"), "seller", Act.ACCEPT, "own_offer"),
        (dispute("negotiating", last="seller"), "seller", Act.REJECT, "waiting_for_the_buyer"),
        (
            dispute("negotiating", last="seller", opened=NOW - timedelta(days=8)),
            "buyer",
            Act.ACCEPT,
            "negotiation_over",
        ),
        # Escalation: the buyer from day 3; the seller only for a return that came back wrong.
        (dispute("negotiating", last="seller"), "buyer", Act.ESCALATE, ""),
        (dispute(opened=NOW - timedelta(days=2)), "buyer", Act.ESCALATE, "too_early_to_escalate"),
        (dispute("negotiating"), "seller", Act.ESCALATE, "seller_cannot_escalate"),
        (dispute("return_shipped"), "seller", Act.ESCALATE, ""),
        (dispute("escalated"), "buyer", Act.ESCALATE, "dispute_already_escalated"),
        (dispute("awaiting_return"), "buyer", Act.ESCALATE, "cannot_escalate_now"),
        # Withdraw.
        (dispute("escalated"), "buyer", Act.WITHDRAW, ""),
        (dispute("return_shipped"), "buyer", Act.WITHDRAW, "return_in_transit"),
        (dispute(), "seller", Act.WITHDRAW, "buyer_only"),
        # Returns.
        (dispute("awaiting_return"), "buyer", Act.RETURN_TRACKING, ""),
        (dispute(), "buyer", Act.RETURN_TRACKING, "no_return_expected"),
        (dispute("return_shipped"), "seller", Act.CONFIRM_RETURN, ""),
        (dispute("return_shipped"), "buyer", Act.CONFIRM_RETURN, "seller_only"),
        (dispute("return_shipped"), "buyer", Act.RETURN_ARRIVED, ""),
        # Staff decide escalated disputes only, and do nothing else.
        (dispute("escalated"), "staff", Act.DECIDE, ""),
        (dispute("escalated"), "staff", Act.REQUEST_EVIDENCE, ""),
        (dispute("negotiating"), "staff", Act.DECIDE, "dispute_not_escalated"),
        (dispute("escalated"), "staff", Act.ACCEPT, "not_allowed_for_staff"),
        (dispute("escalated"), "seller", Act.DECIDE, "staff_decide_only"),
        # Evidence any time while open; nothing once closed.
        (dispute("escalated"), "seller", Act.ADD_EVIDENCE, ""),
        (dispute("closed"), "buyer", Act.ADD_EVIDENCE, "dispute_closed"),
        (dispute("closed"), "staff", Act.DECIDE, "dispute_closed"),
    ],
)
def test_what_each_party_may_do_in_each_state(facts, party, act, code):
    verdict = decide(facts, party, act, NOW)
    assert verdict.allowed == (code == ""), verdict
    assert verdict.code == code
    if code:
        assert verdict.why_not
