"""The sandbox gateway behaves like a real processor: declines, timeouts, idempotency, async refunds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from moneyed import Money

from souk.payments.gateways import (
    GatewayDeclined,
    GatewayTimeout,
    GatewayTransientError,
    PaymentGateway,
    get_gateway,
)
from souk.payments.gateways.base import PaymentStatus, RefundStatus
from souk.payments.gateways.sandbox import SandboxGateway, arn_for, luhn_check_digit
from souk.payments.models import SandboxCharge, SandboxRefund

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def gw(clock):
    return SandboxGateway(clock=clock)


def usd(amount) -> Money:
    return Money(amount, "USD")


def captured(gw, amount="50.00", key="pay-1", method="card", token="tok_visa"):
    payment = gw.authorize(amount=usd(amount), method=method, token=token, idempotency_key=key)
    return gw.capture(payment_ref=payment.ref, amount=usd(amount), idempotency_key=f"{key}-capture")


def test_default_gateway_is_the_sandbox_and_fits_the_interface():
    assert isinstance(get_gateway(), SandboxGateway)
    assert isinstance(get_gateway(), PaymentGateway)


def test_good_card_is_authorized_then_captured(gw):
    payment = gw.authorize(amount=usd("50.00"), method="card", token="tok_visa", idempotency_key="k1")
    assert payment.status == PaymentStatus.AUTHORIZED and payment.ok
    done = gw.capture(payment_ref=payment.ref, amount=usd("50.00"), idempotency_key="k1-c")
    assert done.status == PaymentStatus.CAPTURED and done.amount == usd(50)


@pytest.mark.parametrize(("token", "code"), [("tok_insufficient_funds", "insufficient_funds"),
                                             ("tok_expired_card", "expired_card"), ("tok_fraud", "fraud_suspected")])
def test_declined_card_fails_with_its_reason(gw, token, code):
    payment = gw.authorize(amount=usd(10), method="card", token=token, idempotency_key=f"k-{token}")
    assert payment.status == PaymentStatus.FAILED and payment.decline_code == code and payment.message
    with pytest.raises(GatewayDeclined):
        gw.capture(payment_ref=payment.ref, amount=usd(10), idempotency_key="c")


def test_timeout_and_transient_errors_are_retryable_and_leave_nothing(gw):
    with pytest.raises(GatewayTimeout) as timeout:
        gw.authorize(amount=usd(10), method="card", token="tok_timeout", idempotency_key="t1")
    with pytest.raises(GatewayTransientError) as transient:
        gw.authorize(amount=usd(10), method="card", token="tok_transient", idempotency_key="t2")
    assert timeout.value.retryable and transient.value.retryable
    assert not SandboxCharge.objects.exists()


def test_timeout_after_the_charge_was_made_is_resolved_by_retrying_with_the_same_key(gw):
    with pytest.raises(GatewayTimeout):
        gw.authorize(amount=usd(10), method="card", token="tok_timeout_after_commit", idempotency_key="t3")
    retried = gw.authorize(amount=usd(10), method="card", token="tok_timeout_after_commit", idempotency_key="t3")
    assert retried.status == PaymentStatus.AUTHORIZED
    assert SandboxCharge.objects.count() == 1


def test_unknown_token_is_a_final_refusal(gw):
    with pytest.raises(GatewayDeclined) as err:
        gw.authorize(amount=usd(10), method="card", token="4242424242424242", idempotency_key="x")
    assert not err.value.retryable and err.value.code == "invalid_token"


def test_same_key_same_answer_other_parameters_refused(gw):
    first = gw.authorize(amount=usd(10), method="card", token="tok_visa", idempotency_key="same")
    again = gw.authorize(amount=usd(10), method="card", token="tok_visa", idempotency_key="same")
    assert first == again and SandboxCharge.objects.count() == 1
    with pytest.raises(GatewayDeclined, match="reused"):
        gw.authorize(amount=usd(11), method="card", token="tok_visa", idempotency_key="same")


def test_void_releases_an_authorization_but_not_a_capture(gw):
    payment = gw.authorize(amount=usd(10), method="card", token="tok_visa", idempotency_key="v")
    assert gw.void(payment_ref=payment.ref).status == PaymentStatus.VOIDED
    charge = captured(gw, key="v2")
    with pytest.raises(GatewayDeclined):
        gw.void(payment_ref=charge.ref)


def test_refund_is_pending_then_settles_with_an_arn_after_the_delay(gw, clock, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 60}
    charge = captured(gw)
    refund = gw.refund(payment_ref=charge.ref, amount=usd("20.00"), idempotency_key="r1")
    assert refund.status == RefundStatus.PENDING and refund.arn == ""
    clock.advance(59)
    assert gw.refund_status(refund_ref=refund.ref).status == RefundStatus.PENDING
    clock.advance(1)
    settled = gw.refund_status(refund_ref=refund.ref)
    assert settled.status == RefundStatus.SUCCEEDED
    assert len(settled.arn) == 23 and settled.arn.isdigit()
    assert luhn_check_digit(settled.arn[:-1]) == settled.arn[-1]
    assert gw.refund_status(refund_ref=refund.ref) == settled  # stable


def test_refund_is_idempotent_on_its_key(gw):
    charge = captured(gw)
    first = gw.refund(payment_ref=charge.ref, amount=usd(20), idempotency_key="r1")
    assert gw.refund(payment_ref=charge.ref, amount=usd(20), idempotency_key="r1") == first
    assert SandboxRefund.objects.count() == 1
    with pytest.raises(GatewayDeclined, match="reused"):
        gw.refund(payment_ref=charge.ref, amount=usd(21), idempotency_key="r1")


def test_refunds_never_exceed_what_was_captured(gw):
    charge = captured(gw, amount="50.00")
    gw.refund(payment_ref=charge.ref, amount=usd(30), idempotency_key="a")
    with pytest.raises(GatewayDeclined) as err:
        gw.refund(payment_ref=charge.ref, amount=usd("20.01"), idempotency_key="b")
    assert err.value.code == "refund_exceeds_captured"


def test_refund_ending_in_13_fails_transiently_then_goes_through_with_the_same_key(gw, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_TRANSIENT_FAILURES": 2}
    charge = captured(gw)
    for _ in range(2):
        with pytest.raises(GatewayTransientError):
            gw.refund(payment_ref=charge.ref, amount=usd("10.13"), idempotency_key="flaky")
    refund = gw.refund(payment_ref=charge.ref, amount=usd("10.13"), idempotency_key="flaky")
    assert refund.status == RefundStatus.PENDING and SandboxRefund.objects.count() == 1


def test_refund_ending_in_14_settles_failed(gw, clock, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 0}
    charge = captured(gw)
    refund = gw.refund(payment_ref=charge.ref, amount=usd("10.14"), idempotency_key="bad")
    final = gw.refund_status(refund_ref=refund.ref)
    assert final.status == RefundStatus.FAILED and final.failure_reason and final.final


def test_refund_ending_in_15_requires_action(gw):
    charge = captured(gw)
    refund = gw.refund(payment_ref=charge.ref, amount=usd("10.15"), idempotency_key="act")
    assert refund.status == RefundStatus.REQUIRES_ACTION


def test_balance_refund_succeeds_at_once(gw):
    charge = captured(gw, method="balance", token="tok_balance")
    assert gw.refund(payment_ref=charge.ref, amount=usd(5), idempotency_key="bal").status == RefundStatus.SUCCEEDED


def test_state_is_shared_through_the_database_between_gateway_instances():
    charge = captured(SandboxGateway())
    other_process = SandboxGateway()
    refund = other_process.refund(payment_ref=charge.ref, amount=usd(5), idempotency_key="shared")
    assert SandboxGateway().refund_status(refund_ref=refund.ref).ref == refund.ref


def test_gateway_refuses_to_be_called_inside_a_database_transaction(gw):
    with pytest.raises(RuntimeError, match="outside any database transaction"), transaction.atomic():
        gw.authorize(amount=usd(10), method="card", token="tok_visa", idempotency_key="in-tx")


def test_arn_is_stable_per_refund():
    assert arn_for("re_1") == arn_for("re_1") != arn_for("re_2")


def test_a_payment_is_found_by_the_key_it_was_made_with_and_an_unknown_key_finds_nothing(gw):
    assert gw.find_payment(idempotency_key="pay-1") is None  # never received
    made = captured(gw, key="pay-1")
    found = gw.find_payment(idempotency_key="pay-1")
    assert found.ref == made.ref and found.status == PaymentStatus.CAPTURED and found.idempotency_key == "pay-1"
    declined = gw.authorize(amount=usd(5), method="card", token="tok_expired_card", idempotency_key="pay-2")
    assert gw.find_payment(idempotency_key="pay-2").status == PaymentStatus.FAILED == declined.status


def test_the_gateways_report_lists_every_payment_and_refund_with_its_key(gw):
    first = captured(gw, key="pay-1")
    gw.authorize(amount=usd(7), method="card", token="tok_visa", idempotency_key="pay-2")
    refund = gw.refund(payment_ref=first.ref, amount=usd(5), idempotency_key="refund-1")
    assert [(p.idempotency_key, p.status) for p in gw.list_payments()] == [
        ("pay-1", PaymentStatus.CAPTURED), ("pay-2", PaymentStatus.AUTHORIZED)]
    [listed] = gw.list_refunds()
    assert (listed.ref, listed.payment_ref, listed.idempotency_key) == (refund.ref, first.ref, "refund-1")
