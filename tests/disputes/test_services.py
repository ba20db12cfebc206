"""Disputes end to end through the services: opening, answers, negotiation, returns, staff, and the
money each ending moves (a refund out of escrow, the rest released to the seller), audit clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from souk.core.errors import NotFound, ValidationFailed
from souk.disputes.models import Decision, Dispute
from souk.disputes.services import (
    DisputeRefused,
    dispute_accept,
    dispute_add_evidence,
    dispute_confirm_return,
    dispute_counter,
    dispute_decide,
    dispute_escalate,
    dispute_open,
    dispute_reject,
    dispute_request_evidence,
    dispute_return_arrived,
    dispute_return_tracking,
    dispute_withdraw,
    disputes_due,
)
from souk.fulfilment.services import order_confirm_receipt
from souk.ledger.selectors import order_held_minor, order_money
from souk.notifications.models import Notification
from souk.orders.models import Order, OrderEvent
from souk.payments.models import Refund
from souk.payments.services import escrow_release_due, protection_ended_due
from tests.disputes.conftest import PNG, settle_refunds
from tests.ledger.audit import assert_audit_clean


def open_damaged(buyer, order, kind="refund_only", amount_minor=1500, **kw):
    return dispute_open(
        buyer=buyer,
        order_id=order.pk,
        reason="damaged",
        kind=kind,
        amount_minor=amount_minor,
        description="The screen is cracked.",
        **kw,
    )


def kinds(order):
    return list(
        OrderEvent.objects.filter(order=order, kind__startswith="dispute").values_list("kind", flat=True)
    )


def test_a_partial_refund_the_seller_accepts_lands_and_the_rest_goes_to_the_seller(
    buyer, seller, shipped_order, settle_now
):
    order = shipped_order()
    dispute = open_damaged(buyer, order)
    order.refresh_from_db()
    assert order.frozen_at is not None and dispute.state == "open" and dispute.due_party == "seller"
    assert Notification.objects.filter(recipient=seller, kind="dispute_opened").exists()

    dispute_accept(user=seller, party="seller", dispute_id=dispute.pk)
    dispute.refresh_from_db()
    decision = Decision.objects.get(dispute=dispute)
    assert (dispute.state, dispute.outcome) == ("closed", "refunded")
    assert (decision.decided_by, decision.amount_minor, decision.against_seller) == (
        "seller_accepted",
        1500,
        True,
    )
    refund = Refund.objects.get(order=order)
    assert refund.amount_minor == 1500 and refund.idempotency_key == f"dispute-{dispute.pk}"
    order.refresh_from_db()
    assert order.status == "completed" and order.frozen_at is None

    settle_refunds(order)
    assert escrow_release_due() == 1
    money = order_money(order.pk)
    assert money.refund_settled.amount == 15 and money.held.amount == 0 and money.released.amount == 28
    closed = OrderEvent.objects.get(order=order, kind="dispute_closed")
    assert closed.data["outcome"] == "refunded" and closed.data["against_seller"] is True
    assert_audit_clean()


def test_the_seller_counters_and_the_buyer_accepts_the_counter(buyer, seller, shipped_order, settle_now):
    order = shipped_order()
    dispute = open_damaged(buyer, order, amount_minor=4300)
    dispute_counter(
        user=seller,
        party="seller",
        dispute_id=dispute.pk,
        kind="refund_only",
        amount_minor=1000,
        note="A discount for the scratch.",
    )
    dispute.refresh_from_db()
    assert dispute.state == "negotiating" and dispute.due_party == "buyer"
    with pytest.raises(DisputeRefused) as err:
        dispute_accept(user=seller, party="seller", dispute_id=dispute.pk)
    assert err.value.code == "own_offer"
    dispute_accept(user=buyer, party="buyer", dispute_id=dispute.pk)
    assert Refund.objects.get(order=order).amount_minor == 1000
    assert Decision.objects.get(dispute=dispute).decided_by == "buyer_accepted"
    settle_refunds(order)
    escrow_release_due()
    assert order_held_minor(order.pk, "USD") == 0
    assert_audit_clean()


def test_the_buyer_cannot_ask_for_more_than_the_order_holds(buyer, shipped_order):
    order = shipped_order()
    with pytest.raises(ValidationFailed) as err:
        open_damaged(buyer, order, amount_minor=4301)
    assert err.value.errors[0].code == "amount_too_high"
    assert not Dispute.objects.exists() and Order.objects.get(pk=order.pk).frozen_at is None


def test_a_dispute_for_one_line_asks_for_that_line_and_its_share_of_shipping(buyer, shipped_order):
    order = shipped_order(gadgets=1, cables=2)  # $20 + $10 + $3
    cable_line = order.lines.get(unit_price_minor=500)
    dispute = dispute_open(
        buyer=buyer,
        order_id=order.pk,
        reason="missing_parts",
        kind="refund_only",
        description="One cable missing.",
        lines=[{"line_id": cable_line.pk, "quantity": 1}],
    )
    assert dispute.offers.get().amount_minor == 500 + 300 * 500 // 3000


def test_one_open_dispute_per_order(buyer, shipped_order):
    order = shipped_order()
    open_damaged(buyer, order)
    with pytest.raises(DisputeRefused) as err:
        open_damaged(buyer, order)
    assert err.value.code == "dispute_already_open"


def test_not_received_opens_only_after_ten_days_or_the_promised_delivery(buyer, shipped_order):
    order = shipped_order(days_ago=3)
    with pytest.raises(DisputeRefused) as err:
        dispute_open(
            buyer=buyer,
            order_id=order.pk,
            reason="not_received",
            kind="refund_only",
            description="Nothing came.",
        )
    assert err.value.code == "too_early_for_not_received" and "from" in err.value.why_not
    late = shipped_order(days_ago=max(11, order.delivery_max_days + 1))
    dispute = dispute_open(
        buyer=buyer, order_id=late.pk, reason="not_received", kind="refund_only", description="Nothing came."
    )
    assert dispute.offers.get().amount_minor == 4300  # everything held, by default


def test_an_order_whose_escrow_was_released_can_no_longer_be_disputed(buyer, shipped_order):
    order = shipped_order()
    order_confirm_receipt(buyer=buyer, order_id=order.pk)
    escrow_release_due()
    with pytest.raises(DisputeRefused) as err:
        open_damaged(buyer, order)
    assert err.value.code == "escrow_already_released"
    assert "released to the seller" in err.value.why_not


def test_another_buyers_order_is_not_found(other_buyer, buyer, shipped_order, stranger):
    order = shipped_order()
    with pytest.raises(NotFound):
        open_damaged(other_buyer, order)
    dispute = open_damaged(buyer, order)
    with pytest.raises(NotFound):
        dispute_accept(user=stranger, party="seller", dispute_id=dispute.pk)


def test_an_open_dispute_freezes_protection_and_withdrawing_gives_the_time_back(buyer, shipped_order):
    order = shipped_order()
    ends = order.protection_ends_at
    opened = timezone.now()
    dispute = open_damaged(buyer, order, now=opened)
    assert protection_ended_due(now=ends + timedelta(days=1)) == 0  # frozen: protection does not end
    later = opened + timedelta(days=4)
    dispute_withdraw(buyer=buyer, dispute_id=dispute.pk, now=later)
    order.refresh_from_db()
    assert order.frozen_at is None and order.status == "awaiting_delivery"
    assert order.protection_ends_at == ends + timedelta(days=4)
    assert Decision.objects.get(dispute=dispute).against_seller is False
    assert not Refund.objects.filter(order=order).exists()
    assert protection_ended_due(now=order.protection_ends_at + timedelta(seconds=1)) == 1
    assert order_held_minor(order.pk, "USD") == 0  # released to the seller
    assert_audit_clean()


def test_confirming_receipt_during_a_dispute_does_not_release_the_escrow(buyer, seller, shipped_order):
    order = shipped_order()
    dispute = open_damaged(buyer, order)
    order_confirm_receipt(buyer=buyer, order_id=order.pk)
    assert escrow_release_due() == 0 and order_held_minor(order.pk, "USD") == 4300
    dispute_reject(seller=seller, dispute_id=dispute.pk, note="Photos show no damage.")
    dispute_withdraw(buyer=buyer, dispute_id=dispute.pk)
    assert escrow_release_due() == 1 and order_held_minor(order.pk, "USD") == 0
    assert_audit_clean()


def test_seller_silence_accepts_the_buyers_request(buyer, shipped_order, settle_now):
    order = shipped_order()
    dispute = open_damaged(buyer, order)
    assert disputes_due(now=dispute.due_at - timedelta(seconds=1)) == 0
    assert disputes_due(now=dispute.due_at) == 1
    dispute.refresh_from_db()
    assert dispute.state == "closed" and Decision.objects.get(dispute=dispute).decided_by == "silence"
    assert Refund.objects.get(order=order).amount_minor == 1500
    assert disputes_due(now=dispute.opened_at + timedelta(days=30)) == 0  # nothing left to do
    settle_refunds(order)
    escrow_release_due()
    assert_audit_clean()


def test_negotiation_that_runs_out_goes_to_souk_and_staff_decide_a_partial_refund(
    buyer, seller, staff, shipped_order, settle_now
):
    order = shipped_order()
    dispute = open_damaged(buyer, order, amount_minor=4300)
    dispute_reject(seller=seller, dispute_id=dispute.pk, note="It left our warehouse intact.")
    assert disputes_due(now=dispute.negotiate_until) == 1
    dispute.refresh_from_db()
    assert dispute.state == "escalated" and dispute.escalated_by == "system" and dispute.due_at is None
    assert disputes_due(now=dispute.negotiate_until + timedelta(days=60)) == 0  # staff are never automatic
    dispute_request_evidence(
        staff=staff, dispute_id=dispute.pk, party="buyer", note="A photo of the box, please."
    )
    dispute.refresh_from_db()
    assert dispute.due_party == "buyer"
    dispute_add_evidence(user=buyer, party="buyer", dispute_id=dispute.pk, content=PNG, note="The box.")
    dispute.refresh_from_db()
    assert dispute.evidence_from == "" and dispute.due_at is None
    dispute_decide(
        staff=staff,
        dispute_id=dispute.pk,
        outcome="partial_refund",
        amount_minor=2000,
        note="Damage in transit; half.",
    )
    decision = Decision.objects.get(dispute=dispute)
    assert (decision.decided_by, decision.amount_minor, decision.decider) == ("staff", 2000, staff)
    with pytest.raises(DisputeRefused):
        dispute_decide(staff=staff, dispute_id=dispute.pk, outcome="reject", note="again")
    settle_refunds(order)
    escrow_release_due()
    assert_audit_clean()
    assert kinds(order) == [
        "dispute_opened",
        "dispute_offer",
        "dispute_escalated",
        "dispute_evidence",
        "dispute_evidence",
        "dispute_closed",
    ]


def test_a_lapsed_evidence_request_decides_nothing(buyer, seller, staff, shipped_order):
    order = shipped_order()
    dispute = open_damaged(buyer, order)
    dispute_escalate(
        user=buyer, party="buyer", dispute_id=dispute.pk, now=dispute.opened_at + timedelta(days=3)
    )
    dispute_request_evidence(staff=staff, dispute_id=dispute.pk, party="seller", note="Packing photos?")
    dispute.refresh_from_db()
    assert disputes_due(now=dispute.due_at) == 1
    dispute.refresh_from_db()
    assert dispute.state == "escalated" and dispute.evidence_from == "" and not Refund.objects.exists()


def test_staff_reject_resumes_the_clocks(buyer, staff, shipped_order):
    order = shipped_order()
    dispute = open_damaged(buyer, order)
    dispute_escalate(
        user=buyer, party="buyer", dispute_id=dispute.pk, now=dispute.opened_at + timedelta(days=3)
    )
    dispute_decide(staff=staff, dispute_id=dispute.pk, outcome="reject", note="No damage visible.")
    order.refresh_from_db()
    assert order.frozen_at is None and order.status == "awaiting_delivery"
    assert OrderEvent.objects.get(order=order, kind="dispute_closed").data["against_seller"] is False


def test_the_buyer_cannot_escalate_before_day_three(buyer, shipped_order):
    dispute = open_damaged(buyer, shipped_order())
    with pytest.raises(DisputeRefused) as err:
        dispute_escalate(user=buyer, party="buyer", dispute_id=dispute.pk)
    assert err.value.code == "too_early_to_escalate"


def test_a_return_and_refund_through_tracking_and_the_sellers_receipt(
    buyer, seller, shipped_order, settle_now
):
    order = shipped_order()
    dispute = open_damaged(buyer, order, kind="return_and_refund", amount_minor=4300)
    dispute_accept(user=seller, party="seller", dispute_id=dispute.pk)
    dispute.refresh_from_db()
    assert dispute.state == "awaiting_return" and dispute.return_payer == "seller"
    assert dispute.return_address.startswith("Returns") and dispute.due_party == "buyer"
    assert not Refund.objects.exists() and Order.objects.get(pk=order.pk).frozen_at is not None
    with pytest.raises(ValidationFailed):
        dispute_return_tracking(
            buyer=buyer, dispute_id=dispute.pk, carrier="DHL", tracking_number="no spaces!"
        )
    dispute_return_tracking(buyer=buyer, dispute_id=dispute.pk, carrier="DHL", tracking_number="RET-1")
    dispute_return_arrived(user=buyer, party="buyer", dispute_id=dispute.pk)
    dispute.refresh_from_db()
    assert dispute.state == "return_shipped" and dispute.due_party == "seller"
    dispute_confirm_return(seller=seller, dispute_id=dispute.pk)
    dispute.refresh_from_db()
    assert dispute.outcome == "refunded" and Refund.objects.get(order=order).amount_minor == 4300
    settle_refunds(order)
    escrow_release_due()
    assert order_money(order.pk).refund_settled.amount == 43
    assert_audit_clean()


def test_a_return_not_sent_in_time_closes_for_the_seller(buyer, seller, shipped_order):
    order = shipped_order()
    dispute = open_damaged(buyer, order, kind="return_and_refund", amount_minor=4300)
    dispute_accept(user=seller, party="seller", dispute_id=dispute.pk)
    dispute.refresh_from_db()
    assert disputes_due(now=dispute.due_at) == 1
    dispute.refresh_from_db()
    assert dispute.outcome == "return_not_shipped" and not Refund.objects.exists()
    assert Order.objects.get(pk=order.pk).frozen_at is None


def test_a_return_the_seller_does_not_confirm_is_refunded_automatically(buyer, seller, shipped_order):
    order = shipped_order()
    dispute = open_damaged(buyer, order, kind="return_and_refund", amount_minor=4300)
    dispute_accept(user=seller, party="seller", dispute_id=dispute.pk)
    dispute_return_tracking(buyer=buyer, dispute_id=dispute.pk, carrier="DHL", tracking_number="RET-1")
    dispute.refresh_from_db()
    assert disputes_due(now=dispute.due_at - timedelta(seconds=1)) == 0
    assert disputes_due(now=dispute.due_at) == 1
    dispute.refresh_from_db()
    assert dispute.outcome == "refunded" and Refund.objects.get(order=order).amount_minor == 4300
    assert_audit_clean()


def test_a_seller_who_finds_the_return_empty_escalates(buyer, seller, shipped_order):
    dispute = open_damaged(buyer, shipped_order(), kind="return_and_refund", amount_minor=4300)
    dispute_accept(user=seller, party="seller", dispute_id=dispute.pk)
    dispute_return_tracking(buyer=buyer, dispute_id=dispute.pk, carrier="DHL", tracking_number="RET-1")
    dispute_escalate(user=seller, party="seller", dispute_id=dispute.pk, note="The box was empty.")
    dispute.refresh_from_db()
    assert dispute.state == "escalated" and dispute.escalated_by == "seller"


def test_evidence_must_be_an_image_of_a_bounded_size(buyer, shipped_order, settings):
    dispute = open_damaged(buyer, shipped_order())
    with pytest.raises(ValidationFailed) as err:
        dispute_add_evidence(
            user=buyer, party="buyer", dispute_id=dispute.pk, content=b"%PDF-1.4 not a photo"
        )
    assert err.value.code == "evidence_not_an_image"
    settings.SOUK = {**settings.SOUK, "DISPUTE_EVIDENCE_MAX_BYTES": 32}
    with pytest.raises(ValidationFailed) as err:
        dispute_add_evidence(user=buyer, party="buyer", dispute_id=dispute.pk, content=PNG)
    assert err.value.code == "evidence_too_large"
    settings.SOUK = {**settings.SOUK, "DISPUTE_EVIDENCE_MAX_BYTES": 1024}
    evidence = dispute_add_evidence(user=buyer, party="buyer", dispute_id=dispute.pk, content=PNG)
    assert evidence.content_type == "image/png" and default_storage.open(evidence.file).read() == PNG


def test_the_party_who_owes_the_action_is_reminded_once_a_day_before_each_deadline(buyer, seller, shipped_order):
    from souk.disputes.services import disputes_to_remind

    dispute = open_damaged(buyer, shipped_order())
    assert disputes_to_remind(now=dispute.due_at - timedelta(hours=25)) == 0
    assert disputes_to_remind(now=dispute.due_at - timedelta(hours=23)) == 1
    assert disputes_to_remind(now=dispute.due_at - timedelta(hours=22)) == 0  # once
    [note] = Notification.objects.filter(kind="dispute_reminder")
    assert note.recipient == seller and "answer the buyer" in note.body
    dispute_reject(seller=seller, dispute_id=dispute.pk, note="It was fine.")
    dispute.refresh_from_db()
    assert disputes_to_remind(now=dispute.due_at - timedelta(hours=23)) == 1  # the new deadline: the buyer's
    assert Notification.objects.filter(kind="dispute_reminder", recipient=buyer).count() == 1


def test_every_step_tells_the_other_party_and_posts_in_the_orders_conversation(buyer, seller, shipped_order):
    from souk.messaging.models import Message

    order = shipped_order()
    dispute = open_damaged(buyer, order)
    dispute_counter(user=seller, party="seller", dispute_id=dispute.pk, kind="refund_only", amount_minor=700)
    assert list(Notification.objects.filter(kind__startswith="dispute").order_by("id").values_list("kind", "recipient")) == [
        ("dispute_opened", seller.pk), ("dispute_offer", buyer.pk)]
    messages = Message.objects.filter(conversation__order=order, kind="system").order_by("id")
    bodies = [m.body for m in messages if "dispute_id" in m.data]  # the shipment's own message aside
    assert len(bodies) == 2 and "opened a dispute" in bodies[0] and "$7.00" in bodies[1]

