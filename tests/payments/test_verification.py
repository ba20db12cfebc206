"""Payment verification: a payment held for risk review is only authorized until someone decides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from souk.core.errors import Conflict
from souk.ledger.models import JournalEntry
from souk.ledger.selectors import order_money
from souk.orders.models import OrderEvent
from souk.orders.status import Status
from souk.payments.models import Payment, SandboxCharge
from souk.payments.services import order_pay, payment_verify, payments_review_due
from tests.ledger.audit import assert_audit_clean
from tests.payments.conftest import new_key
from tests.payments.test_money_walkthroughs import usd

pytestmark = pytest.mark.django_db


def pay(buyer, order, token="tok_review", key=None):
    return order_pay(buyer=buyer, order_id=order.pk, method="card", token=token, idempotency_key=key or new_key())


def test_flagged_payment_holds_the_order_in_verification_with_nothing_captured(buyer, place_order):
    order = place_order()
    payment = pay(buyer, order, key="k")
    order.refresh_from_db()
    assert order.status == Status.PAYMENT_VERIFICATION and order.paid_at is not None and order.ship_by is None
    assert payment.status == Payment.State.AUTHORIZED and payment.review_by > timezone.now() + timedelta(hours=23)
    assert SandboxCharge.objects.get().status == "authorized"
    assert not JournalEntry.objects.exists() and order_money(order.pk, currency="USD").held == usd(0)
    # Paying again with the same key answers the same held payment; nothing is charged twice.
    assert pay(buyer, order, key="k").pk == payment.pk and SandboxCharge.objects.count() == 1
    assert_audit_clean()


def test_approved_review_captures_into_escrow_and_the_seller_can_ship(buyer, place_order):
    order = place_order()
    pay(buyer, order)
    order = payment_verify(order_id=order.pk, approve=True)
    assert order.status == Status.AWAITING_SHIPMENT and order.ship_by is not None
    assert Payment.objects.get().status == Payment.State.CAPTURED
    assert SandboxCharge.objects.get().status == "captured"
    assert order_money(order.pk).held == usd(23)
    assert OrderEvent.objects.filter(order=order, kind="verify", to_status="awaiting_shipment").exists()
    # Deciding again changes nothing.
    assert payment_verify(order_id=order.pk, approve=False).status == Status.AWAITING_SHIPMENT
    assert order_money(order.pk).held == usd(23)
    assert_audit_clean()


def test_rejected_review_voids_the_authorization_cancels_the_order_and_restocks(buyer, place_order, shop):
    gadget = shop[1]
    order = place_order(gadgets=2)
    gadget.refresh_from_db()
    stock_after_checkout = gadget.stock
    pay(buyer, order)
    order = payment_verify(order_id=order.pk, approve=False)
    assert order.status == Status.CANCELLED
    assert Payment.objects.get().status == Payment.State.VOIDED
    assert SandboxCharge.objects.get().status == "voided"
    gadget.refresh_from_db()
    assert gadget.stock == stock_after_checkout + 2
    event = OrderEvent.objects.get(order=order, kind="cancel")
    assert event.data["reason"] == "risk" and "nothing was charged" in event.message
    assert not JournalEntry.objects.exists()
    assert_audit_clean()


def test_large_payments_go_to_review_by_amount(buyer, place_order, settings):
    settings.SOUK = {**settings.SOUK, "PAYMENT_REVIEW_OVER_MINOR": 2800}
    big, small = place_order(gadgets=1, cables=1), place_order(gadgets=1)  # $28.00 and $23.00
    pay(buyer, big, token="tok_visa")
    pay(buyer, small, token="tok_visa")
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.status == Status.PAYMENT_VERIFICATION and small.status == Status.AWAITING_SHIPMENT
    assert_audit_clean()


def test_review_nobody_decided_in_time_is_decided_by_the_worker(buyer, place_order, settings):
    order = place_order()
    pay(buyer, order)
    assert payments_review_due() == 0  # not due yet
    later = timezone.now() + timedelta(hours=24, seconds=1)
    assert payments_review_due(now=later) == 1
    order.refresh_from_db()
    assert order.status == Status.AWAITING_SHIPMENT and order_money(order.pk).held == usd(23)
    assert OrderEvent.objects.get(order=order, kind="verify").actor_role == "system"

    settings.SOUK = {**settings.SOUK, "PAYMENT_REVIEW_EXPIRED_APPROVE": False}
    other = place_order()
    pay(buyer, other)
    assert payments_review_due(now=later) == 1
    other.refresh_from_db()
    assert other.status == Status.CANCELLED
    assert_audit_clean()


def test_order_cancelled_during_review_has_its_authorization_released_by_the_sweep(buyer, place_order):
    from django.db import transaction

    from souk.orders.services import lock_order, transition
    from souk.orders.status import Action

    order = place_order()
    pay(buyer, order)
    with transaction.atomic():  # the buyer cancels directly while the payment is being verified
        transition(order=lock_order(order_id=order.pk), action=Action.CANCEL, actor=buyer, actor_role="buyer")
    assert payments_review_due() == 1
    assert Payment.objects.get().status == Payment.State.VOIDED
    assert SandboxCharge.objects.get().status == "voided"
    assert not JournalEntry.objects.exists()
    assert_audit_clean()


def test_approval_that_crashed_after_the_capture_is_recorded_not_voided(buyer, place_order):
    from souk.core.money import minor_to_money
    from souk.payments.gateways import get_gateway

    order = place_order()
    payment = pay(buyer, order)
    # The capture happened at the processor, then the process died before recording it.
    get_gateway().capture(payment_ref=payment.gateway_ref, amount=minor_to_money(2300, "USD"),
                          idempotency_key=f"payment-{payment.pk}-capture")
    order = payment_verify(order_id=order.pk, approve=False)
    assert Payment.objects.get().status == Payment.State.CAPTURED
    assert order.status == Status.AWAITING_SHIPMENT and order_money(order.pk).held == usd(23)
    assert_audit_clean()


def test_verifying_an_order_that_was_never_held_is_a_no_op_or_conflict(buyer, place_order):
    order = place_order()
    assert payment_verify(order_id=order.pk, approve=True).status == Status.AWAITING_PAYMENT
    from django.db import transaction

    from souk.orders.models import Order

    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status=Status.PAYMENT_VERIFICATION)
    with pytest.raises(Conflict):
        payment_verify(order_id=order.pk, approve=True)


def test_staff_decide_a_review_from_the_command_line(buyer, place_order):
    from io import StringIO

    from django.core.management import CommandError, call_command

    order = place_order()
    pay(buyer, order)
    out = StringIO()
    call_command("verify_payment", order.number, "--approve", stdout=out)
    assert out.getvalue().strip() == f"order {order.number}: awaiting_shipment"
    with pytest.raises(CommandError, match="order_not_found"):
        call_command("verify_payment", "0000000000000000", "--reject")
    assert_audit_clean()
