"""Payments as intents: the attempt and its gateway key are committed before the gateway is called,
any retry reuses the order's open attempt, and the reconciliation sweep finishes what a crash left.

A crash is simulated in-process by `Crash` (a BaseException, like a process dying: nothing catches
it) raised before or after the sandbox does its work; tests/payments/test_pay_crash.py does the same
with a real web process killed by SIGKILL on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from souk.accounts.tokens import token_create
from souk.cancellations.services.timers import expire_unpaid_orders
from souk.ledger.selectors import order_money
from souk.orders.models import OrderEvent
from souk.orders.status import Status
from souk.payments.gateways.sandbox import SandboxGateway
from souk.payments.models import Payment, SandboxCharge
from souk.payments.services import (
    GatewayUnavailable,
    PaymentDeclined,
    PaymentInProgress,
    order_pay,
    payment_reconcile,
    payments_reconcile_due,
)
from tests.ledger.audit import assert_audit_clean

pytestmark = pytest.mark.django_db

GRACE = timedelta(seconds=61)  # PAYMENT_RECONCILE_GRACE_SECONDS (60) has passed


class Crash(BaseException):
    """The process paying died here."""


def pay(buyer, order, key, token="tok_visa", method="card", now=None):
    return order_pay(buyer=buyer, order_id=order.pk, method=method, token=token, idempotency_key=key, now=now)


@pytest.fixture
def crash_at(monkeypatch):
    """crash_at("authorize", after=True): the next sandbox `authorize` does its work, then the caller dies."""

    def arm(method: str, *, after: bool):
        original = getattr(SandboxGateway, method)

        def dying(self, **kwargs):
            monkeypatch.setattr(SandboxGateway, method, original)  # once
            if after:
                original(self, **kwargs)
            raise Crash(f"killed {'after' if after else 'before'} {method}")

        monkeypatch.setattr(SandboxGateway, method, dying)

    return arm


def captures() -> int:
    return SandboxCharge.objects.filter(status="captured").count()


def test_a_retry_with_a_new_key_after_a_lost_answer_reaches_the_same_charge(buyer, place_order):
    order = place_order()
    with pytest.raises(GatewayUnavailable):
        pay(buyer, order, "first", token="tok_timeout_after_commit")
    attempt = Payment.objects.get(order=order)
    assert attempt.status == "pending" and attempt.checking
    assert SandboxCharge.objects.get().idempotency_key == attempt.gateway_key  # committed before the call

    paid = pay(buyer, order, "second", token="tok_timeout_after_commit")
    assert paid.pk == attempt.pk and paid.status == "captured"
    assert Payment.objects.filter(order=order).count() == 1 and SandboxCharge.objects.count() == 1
    assert captures() == 1 and order_money(order.pk).captured == order.total
    assert_audit_clean()


def test_the_attempt_and_its_gateway_key_exist_before_the_gateway_hears_of_them(buyer, place_order, monkeypatch):
    order = place_order()
    seen = []
    original = SandboxGateway.authorize

    def authorize(self, **kwargs):
        seen.append(list(Payment.objects.filter(order=order).values_list("status", "gateway_key", "reconcile_after")))
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "authorize", authorize)
    payment = pay(buyer, order, "k")
    [[(status, key, deadline)]] = seen
    assert status == "pending" and key == payment.gateway_key and deadline is not None
    assert SandboxCharge.objects.get().idempotency_key == key


def test_a_buyer_whose_process_died_after_the_charge_can_retry_with_any_key_and_pays_once(buyer, place_order,
                                                                                           crash_at):
    order = place_order()
    crash_at("capture", after=True)
    with pytest.raises(Crash):
        pay(buyer, order, "lost")
    assert captures() == 1 and Payment.objects.get(order=order).status == "pending"
    assert pay(buyer, order, "brand-new").status == "captured"
    assert pay(buyer, order, "lost").status == "captured"  # the first key answers the same attempt
    order.refresh_from_db()
    assert order.status == Status.AWAITING_SHIPMENT and captures() == 1 and SandboxCharge.objects.count() == 1
    assert Payment.objects.filter(order=order).count() == 1
    assert_audit_clean()


def test_another_card_while_a_payment_is_being_checked_waits_for_the_check(buyer, place_order):
    order = place_order()
    with pytest.raises(GatewayUnavailable):
        pay(buyer, order, "a", token="tok_timeout")  # nothing happened at the gateway, nobody knows yet
    with pytest.raises(PaymentInProgress) as err:
        pay(buyer, order, "b", token="tok_mastercard")
    assert err.value.status == 409 and err.value.code == "payment_in_progress"
    assert not SandboxCharge.objects.exists()

    later = timezone.now() + GRACE  # the grace is over: the first attempt is checked first, then this one runs
    assert pay(buyer, order, "b", token="tok_mastercard", now=later).status == "captured"
    first, second = Payment.objects.filter(order=order).order_by("id")
    assert first.status == "failed" and "nothing was charged" in first.failure_message
    assert second.status == "captured" and captures() == 1
    assert_audit_clean()


def test_the_sweep_pays_the_order_whose_charge_was_captured_when_the_process_died(buyer, place_order, crash_at):
    order = place_order()
    crash_at("capture", after=True)
    with pytest.raises(Crash):
        pay(buyer, order, "k")
    assert payments_reconcile_due() == 0  # within the grace: the request may still be running
    assert payments_reconcile_due(now=timezone.now() + GRACE) == 1
    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    assert payment.status == "captured" and payment.gateway_ref == SandboxCharge.objects.get().ref
    assert order.status == Status.AWAITING_SHIPMENT and order_money(order.pk).held == order.total
    assert OrderEvent.objects.filter(order=order, kind="pay", actor_role="system").exists()
    assert payments_reconcile_due(now=timezone.now() + GRACE) == 0
    assert_audit_clean()


def test_the_sweep_finishes_an_authorization_whose_capture_never_happened(buyer, place_order, crash_at):
    order = place_order()
    crash_at("authorize", after=True)
    with pytest.raises(Crash):
        pay(buyer, order, "k")
    assert SandboxCharge.objects.get().status == "authorized"
    payments_reconcile_due(now=timezone.now() + GRACE)
    order.refresh_from_db()
    assert order.status == Status.AWAITING_SHIPMENT and SandboxCharge.objects.get().status == "captured"
    assert_audit_clean()


def test_the_sweep_holds_for_verification_an_authorization_the_processor_wants_reviewed(buyer, place_order,
                                                                                       crash_at):
    order = place_order()
    crash_at("authorize", after=True)
    with pytest.raises(Crash):
        pay(buyer, order, "k", token="tok_review")
    payments_reconcile_due(now=timezone.now() + GRACE)
    order.refresh_from_db()
    assert order.status == Status.PAYMENT_VERIFICATION and Payment.objects.get().status == "authorized"
    assert SandboxCharge.objects.get().status == "authorized" and captures() == 0
    assert_audit_clean()


def test_the_payment_window_waits_while_a_payment_made_in_time_is_being_checked(buyer, place_order, crash_at):
    order = place_order()
    crash_at("authorize", after=True)
    with pytest.raises(Crash):
        pay(buyer, order, "k")
    assert expire_unpaid_orders(now=order.pay_by + timedelta(seconds=1), order_ids=[order.pk]) == 0
    payments_reconcile_due(now=timezone.now() + GRACE)
    order.refresh_from_db()
    assert order.status == Status.AWAITING_SHIPMENT and Payment.objects.get(order=order).status == "captured"
    assert captures() == 1 and not order.refunds.exists()
    assert_audit_clean()


def test_an_unpaid_order_is_cancelled_once_its_lost_attempt_proves_to_have_charged_nothing(buyer, place_order,
                                                                                          crash_at):
    order = place_order()
    crash_at("authorize", after=False)
    with pytest.raises(Crash):
        pay(buyer, order, "k")
    late = order.pay_by + timedelta(seconds=1)
    assert expire_unpaid_orders(now=late, order_ids=[order.pk]) == 0
    payments_reconcile_due(now=timezone.now() + GRACE)
    assert expire_unpaid_orders(now=late, order_ids=[order.pk]) == 1
    order.refresh_from_db()
    assert order.status == Status.CANCELLED and Payment.objects.get(order=order).status == "failed"
    assert order_money(order.pk).captured.amount == 0
    assert_audit_clean()


def test_the_sweep_fails_an_attempt_the_gateway_never_received_and_the_buyer_pays_again(buyer, place_order,
                                                                                        crash_at):
    order = place_order()
    crash_at("authorize", after=False)
    with pytest.raises(Crash):
        pay(buyer, order, "k")
    assert not SandboxCharge.objects.exists()
    payments_reconcile_due(now=timezone.now() + GRACE)
    failed = Payment.objects.get(order=order)
    assert failed.status == "failed" and "nothing was charged" in failed.failure_message
    assert OrderEvent.objects.filter(order=order, kind="payment_failed", actor_role="system").exists()
    with pytest.raises(PaymentDeclined):  # the same key answers what became of its attempt
        pay(buyer, order, "k")
    assert pay(buyer, order, "again").status == "captured" and captures() == 1
    assert_audit_clean()


def test_the_sweep_leaves_alone_an_attempt_a_retry_took_over_while_it_asked(buyer, place_order, crash_at,
                                                                            monkeypatch):
    order = place_order()
    crash_at("authorize", after=False)
    with pytest.raises(Crash):
        pay(buyer, order, "k")
    payment = Payment.objects.get(order=order)
    original = SandboxGateway.find_payment

    def find_payment(self, **kwargs):
        answer = original(self, **kwargs)  # nothing yet...
        Payment.objects.filter(pk=payment.pk).update(attempts=payment.attempts + 1)  # ...a retry starts now
        return answer

    monkeypatch.setattr(SandboxGateway, "find_payment", find_payment)
    assert payment_reconcile(payment_id=payment.pk, now=timezone.now() + GRACE).status == "pending"


def test_a_charge_made_after_the_sweep_gave_up_on_it_is_recorded_not_lost(buyer, place_order, monkeypatch):
    order = place_order()
    original = SandboxGateway.authorize

    def slow_authorize(self, **kwargs):  # the request is so slow that the sweep checks meanwhile
        payments_reconcile_due(now=timezone.now() + GRACE)
        assert Payment.objects.get(order=order).status == "failed"
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "authorize", slow_authorize)
    payment = pay(buyer, order, "k")
    order.refresh_from_db()
    assert payment.status == "captured" and order.status == Status.AWAITING_SHIPMENT and captures() == 1
    assert_audit_clean()


def test_an_order_never_has_two_open_payment_attempts(buyer, place_order):
    order = place_order()
    with pytest.raises(GatewayUnavailable):
        pay(buyer, order, "a", token="tok_timeout")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(order=order, method="card", amount_minor=order.total_minor, currency="USD",
                               idempotency_key="b", gateway_key="payment-other")


def test_the_buyer_sees_checking_your_payment_until_the_sweep_knows(buyer, place_order, crash_at):
    order = place_order()
    crash_at("capture", after=True)
    with pytest.raises(Crash):
        pay(buyer, order, "k")
    page, api = Client(), Client()
    page.force_login(buyer)
    _, raw = token_create(user=buyer, name="test")
    auth = {"Authorization": f"Bearer {raw}"}
    html = page.get(f"/orders/{order.number}/").content.decode()
    assert 'id="payment-checking"' in html and "checking your payment" in html
    [attempt] = api.get(f"/api/orders/{order.number}/payments", headers=auth).json()
    assert attempt["status"] == "pending" and attempt["checking"] is True

    payments_reconcile_due(now=timezone.now() + GRACE)
    assert "payment-checking" not in page.get(f"/orders/{order.number}/").content.decode()
    [attempt] = api.get(f"/api/orders/{order.number}/payments", headers=auth).json()
    assert attempt["status"] == "captured" and attempt["checking"] is False
