"""Walk-throughs of a buyer's money through real orders; each ends with the ledger audit clean."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from moneyed import Money

from souk.core.errors import Conflict, NotFound, ValidationFailed
from souk.fulfilment.services import order_confirm_receipt, order_mark_shipped
from souk.ledger.chart import Account
from souk.ledger.selectors import account_balance, order_money
from souk.orders.models import OrderEvent
from souk.orders.status import Status
from souk.payments.models import Payment, Refund, RefundAttempt
from souk.payments.services import (
    GatewayUnavailable,
    PaymentDeclined,
    RefundLine,
    escrow_release,
    escrow_release_due,
    order_pay,
    refund_create,
    refund_process,
    refunds_due,
)
from tests.ledger.audit import assert_audit_clean
from tests.payments.conftest import new_key

pytestmark = pytest.mark.django_db


def usd(amount) -> Money:
    return Money(amount, "USD")


def pay(buyer, order, token="tok_visa", method="card", key=None):
    return order_pay(buyer=buyer, order_id=order.pk, method=method, token=token, idempotency_key=key or new_key())


def test_pay_ship_complete_release(buyer, place_order, shop):
    order = place_order(gadgets=1)  # $20 + $3 shipping
    payment = pay(buyer, order)
    order.refresh_from_db()
    assert payment.status == Payment.State.CAPTURED and order.status == Status.AWAITING_SHIPMENT
    assert order_money(order.pk).held == usd(23)

    order_mark_shipped(seller=shop[0].owner, order_id=order.pk, carrier="DHL", tracking_number="DHL-1")
    order_confirm_receipt(buyer=buyer, order_id=order.pk)
    assert escrow_release_due() == 1

    money = order_money(order.pk)
    assert money.held == usd(0) and money.released == usd(23) and money.commission == usd("1.84")
    assert account_balance(Account.SELLER_PAYABLE, "USD") == usd("-21.16")
    assert escrow_release(order_id=order.pk) is None  # released once only
    assert_audit_clean()


def test_declined_card_is_recorded_with_its_reason_and_the_buyer_may_retry(buyer, place_order):
    order = place_order()
    with pytest.raises(PaymentDeclined) as err:
        pay(buyer, order, token="tok_insufficient_funds")
    assert err.value.status == 402 and err.value.field == "token"
    failed = Payment.objects.get(order=order)
    assert failed.status == Payment.State.FAILED and failed.decline_code == "insufficient_funds"
    assert OrderEvent.objects.filter(order=order, kind="payment_failed").exists()
    order.refresh_from_db()
    assert order.status == Status.AWAITING_PAYMENT and order_money(order.pk).captured.amount == 0

    pay(buyer, order, token="tok_visa")
    order.refresh_from_db()
    assert order.status == Status.AWAITING_SHIPMENT
    assert_audit_clean()


def test_gateway_timeout_then_retry_with_the_same_key_charges_once(buyer, place_order):
    order = place_order()
    with pytest.raises(GatewayUnavailable):
        pay(buyer, order, token="tok_timeout_after_commit", key="k-timeout")
    assert Payment.objects.get(order=order).status == Payment.State.PENDING
    payment = pay(buyer, order, token="tok_timeout_after_commit", key="k-timeout")
    assert payment.status == Payment.State.CAPTURED and Payment.objects.filter(order=order).count() == 1
    again = pay(buyer, order, token="tok_timeout_after_commit", key="k-timeout")
    assert again.pk == payment.pk
    assert order_money(order.pk).captured == order.total
    assert_audit_clean()


def test_paying_someone_elses_order_is_not_found(buyer, other_buyer, place_order):
    order = place_order()
    with pytest.raises(NotFound):
        pay(other_buyer, order)
    assert not Payment.objects.exists()


def test_paying_after_the_window_closed_is_refused(buyer, place_order):
    order = place_order()
    with pytest.raises(Conflict) as err:
        order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key="late",
                  now=order.pay_by + timedelta(seconds=1))
    assert err.value.code == "payment_window_closed" and not Payment.objects.exists()


def test_pay_cancel_refund_settles_with_an_arn(buyer, place_order, settle_now):
    order = place_order(gadgets=2)  # $40 + $3
    pay(buyer, order)
    refund = refund_create(order_id=order.pk, amount=usd(43), reason="buyer_cancelled", actor=None,
                           idempotency_key="r-1")
    assert refund.state == Refund.State.PENDING and order_money(order.pk).refund_in_flight == usd(43)
    assert refund.expected_by > timezone.now().date()

    submitted = refund_process(refund_id=refund.pk)
    assert submitted.state == Refund.State.PENDING and submitted.gateway_ref
    settled = refund_process(refund_id=refund.pk, force=True)
    assert settled.state == Refund.State.SUCCEEDED and len(settled.arn) == 23 and settled.settled_at
    money = order_money(order.pk)
    assert money.refund_settled == usd(43) and money.held == usd(0) and money.refund_in_flight == usd(0)
    assert list(settled.history.values_list("operation", "outcome")) == [("refund", "pending"),
                                                                           ("status", "succeeded")]
    assert_audit_clean()


def test_partial_refund_by_line_prorates_shipping(buyer, place_order):
    order = place_order(gadgets=1, cables=2)  # $20 + 2 x $5 = $30 goods, $3 shipping
    pay(buyer, order)
    cable_line = order.lines.get(unit_price_minor=500)
    refund = refund_create(order_id=order.pk, lines=[RefundLine(cable_line.pk, 1)], reason="missing_item",
                           actor=None, idempotency_key="r-line")
    # $5 of $30 goods -> $0.50 of the $3 shipping.
    assert refund.amount_minor == 550
    second = refund_create(order_id=order.pk, lines=[RefundLine(cable_line.pk, 1)], reason="missing_item",
                           actor=None, idempotency_key="r-line-2")
    assert second.amount_minor == 550
    with pytest.raises(ValidationFailed) as err:
        refund_create(order_id=order.pk, lines=[RefundLine(cable_line.pk, 1)], reason="missing_item",
                      actor=None, idempotency_key="r-line-3")
    assert err.value.field == "lines[0].quantity"
    gadget_line = order.lines.get(unit_price_minor=2000)
    last = refund_create(order_id=order.pk, lines=[RefundLine(gadget_line.pk, 1)], reason="missing_item",
                         actor=None, idempotency_key="r-line-4")
    assert last.amount_minor == 2000 + 200  # the rest of the shipping: nothing lost to rounding
    assert order_money(order.pk).held == usd(0)
    assert_audit_clean()


def test_failed_refund_then_retry_succeeds(buyer, place_order, settle_now, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_TRANSIENT_FAILURES": 2, "REFUND_RETRY_BASE_SECONDS": 30}
    order = place_order(gadgets=3)  # $60 + $3
    pay(buyer, order)
    refund = refund_create(order_id=order.pk, amount=usd("10.13"), reason="price_adjustment", actor=None,
                           idempotency_key="r-flaky")
    t0 = timezone.now()
    first = refund_process(refund_id=refund.pk, now=t0)
    assert first.state == Refund.State.PENDING and not first.gateway_ref and "service_unavailable" in first.last_error
    assert first.next_attempt_at == t0 + timedelta(seconds=30)
    assert refund_process(refund_id=refund.pk, now=t0 + timedelta(seconds=10)).attempts == 1  # not due yet
    second = refund_process(refund_id=refund.pk, now=t0 + timedelta(seconds=30))
    assert second.attempts == 2 and second.next_attempt_at == t0 + timedelta(seconds=30 + 60)
    third = refund_process(refund_id=refund.pk, now=t0 + timedelta(seconds=90))
    assert third.gateway_ref and third.attempts == 3
    done = refund_process(refund_id=refund.pk, force=True, now=t0 + timedelta(seconds=200))
    assert done.state == Refund.State.SUCCEEDED
    assert RefundAttempt.objects.filter(refund=refund).count() == 4
    assert_audit_clean()


def test_refund_that_the_bank_rejects_returns_money_to_escrow_and_is_flagged(buyer, place_order, settle_now):
    order = place_order(gadgets=3)
    pay(buyer, order)
    refund = refund_create(order_id=order.pk, amount=usd("10.14"), reason="price_adjustment", actor=None,
                           idempotency_key="r-bad")
    refund_process(refund_id=refund.pk)
    failed = refund_process(refund_id=refund.pk, force=True)
    assert failed.state == Refund.State.FAILED and failed.flagged_at and failed.last_error
    money = order_money(order.pk)
    assert money.held == usd(63) and money.refunded == usd(0)
    assert_audit_clean()


def test_refund_that_keeps_failing_is_flagged_but_never_dropped(buyer, place_order, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_TRANSIENT_FAILURES": 50, "REFUND_MAX_ATTEMPTS": 3}
    order = place_order(gadgets=3)
    pay(buyer, order)
    refund = refund_create(order_id=order.pk, amount=usd("10.13"), reason="price_adjustment", actor=None,
                           idempotency_key="r-stuck")
    for _ in range(3):
        current = refund_process(refund_id=refund.pk, force=True)
    assert current.flagged_at and current.delayed and current.state == Refund.State.PENDING
    assert current.next_attempt_at is not None  # still retried by the worker
    assert_audit_clean()


def test_refund_past_its_expected_date_is_flagged_as_delayed(buyer, place_order, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 10**9}
    order = place_order()
    pay(buyer, order)
    refund = refund_create(order_id=order.pk, amount=usd(5), reason="goodwill", actor=None, idempotency_key="late")
    refunds_due(now=timezone.now() + timedelta(days=60))
    refund.refresh_from_db()
    assert refund.flagged_at and refund.delayed


def test_sweep_processes_due_refunds(buyer, place_order, settle_now):
    order = place_order()
    pay(buyer, order)
    refund = refund_create(order_id=order.pk, amount=usd(5), reason="goodwill", actor=None, idempotency_key="sw")
    assert refunds_due() == 1
    refund.refresh_from_db()
    assert refund.gateway_ref
    assert refunds_due(now=timezone.now() + timedelta(minutes=5)) == 1
    refund.refresh_from_db()
    assert refund.state == Refund.State.SUCCEEDED


@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"amount": Money(-1, "USD")}, "amount_not_positive", "amount"),
    ({"amount": Money(0, "USD")}, "amount_not_positive", "amount"),
    ({"amount": Money("23.01", "USD")}, "refund_exceeds_captured", "amount"),
    ({"amount": Money(5, "EUR")}, "currency_mismatch", "currency"),
])
def test_bad_refund_input_is_refused_and_nothing_is_written(buyer, place_order, kwargs, code, field):
    order = place_order()
    pay(buyer, order)
    with pytest.raises(ValidationFailed) as err:
        refund_create(order_id=order.pk, reason="x", actor=None, idempotency_key="bad", **kwargs)
    assert (err.value.code, err.value.field) == (code, field)
    assert not Refund.objects.exists() and order_money(order.pk).refunded == usd(0)


def test_refund_of_an_unpaid_order_is_refused(buyer, place_order):
    order = place_order()
    with pytest.raises(Conflict) as err:
        refund_create(order_id=order.pk, amount=usd(1), reason="x", actor=None, idempotency_key="u")
    assert err.value.code == "order_not_paid" and not Refund.objects.exists()


def test_same_refund_key_returns_the_same_refund_and_other_parameters_are_refused(buyer, place_order):
    order = place_order()
    pay(buyer, order)
    first = refund_create(order_id=order.pk, amount=usd(5), reason="x", actor=None, idempotency_key="same")
    assert refund_create(order_id=order.pk, amount=usd(5), reason="x", actor=None, idempotency_key="same") == first
    with pytest.raises(ValidationFailed) as err:
        refund_create(order_id=order.pk, amount=usd(6), reason="x", actor=None, idempotency_key="same")
    assert err.value.code == "idempotency_key_reused" and Refund.objects.count() == 1
