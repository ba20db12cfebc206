"""`souk audit` compares Souk's payments and refunds with the gateway's own records (the sandbox's
tables stand for the provider): money the gateway moved that Souk does not know is a broken
invariant, reported by name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from moneyed import Money

from souk.payments.audit import run_gateway_audit
from souk.payments.gateways.sandbox import SandboxGateway
from souk.payments.models import Payment, Refund, SandboxCharge, SandboxRefund
from souk.payments.services import (
    order_pay,
    payments_reconcile_due,
    refund_create,
    refund_process,
    refunds_due,
)
from tests.ledger.audit import assert_audit_clean

pytestmark = pytest.mark.django_db


class Crash(BaseException):
    """The worker or web process died here."""


def invariants(**kwargs) -> list[str]:
    return [f.invariant for f in run_gateway_audit(**kwargs)]


def audit_error() -> str:
    with pytest.raises(CommandError) as err:
        call_command("audit")
    assert err.value.returncode == 1
    return str(err.value)


@pytest.fixture
def paid_order(buyer, place_order):
    order = place_order(gadgets=1)  # $23.00
    order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key="pay")
    return order


def test_souk_audit_is_clean_when_souk_and_the_gateway_agree(paid_order, capsys):
    call_command("audit")
    assert capsys.readouterr().out.strip() == "audit clean"


def test_souk_audit_catches_a_gateway_charge_souk_does_not_know(paid_order):
    SandboxCharge.objects.create(ref="ch_sbx_stranger", idempotency_key="someone-else", method="card",
                                 token="tok_visa", amount_minor=2300, currency="USD", status="captured",
                                 captured_minor=2300)
    message = audit_error()
    assert "gateway_charge_unknown" in message and "ch_sbx_stranger" in message


def test_souk_audit_catches_a_gateway_refund_souk_does_not_know(paid_order):
    charge = SandboxCharge.objects.get()
    SandboxRefund.objects.create(ref="re_sbx_stranger", charge=charge, idempotency_key="refund-999999",
                                 amount_minor=500, currency="USD", status="succeeded", settle_at=timezone.now())
    message = audit_error()
    assert "gateway_refund_unknown" in message and "re_sbx_stranger" in message


def test_souk_audit_catches_a_capture_recorded_for_another_amount_than_the_gateway_took(paid_order):
    SandboxCharge.objects.update(captured_minor=2000)
    assert invariants() == ["payment_capture_mismatch"]


def test_souk_audit_catches_a_captured_payment_the_ledger_never_recorded(paid_order, buyer, place_order):
    other = place_order()
    order_pay(buyer=buyer, order_id=other.pk, method="card", token="tok_visa", idempotency_key="pay-2")
    Payment.objects.filter(order=other).update(amount_minor=1)  # say a bug recorded one thing and posted another
    SandboxCharge.objects.filter(ref=Payment.objects.get(order=other).gateway_ref).update(amount_minor=1,
                                                                                       captured_minor=1)
    assert invariants() == ["order_capture_not_in_ledger"]


def test_a_charge_captured_while_souk_crashed_is_a_finding_until_the_sweep_records_it(buyer, place_order,
                                                                                     monkeypatch):
    order = place_order()
    original = SandboxGateway.capture

    def capture_then_die(self, **kwargs):
        original(self, **kwargs)
        raise Crash

    monkeypatch.setattr(SandboxGateway, "capture", capture_then_die)
    with pytest.raises(Crash):
        order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key="k")
    monkeypatch.undo()
    assert invariants() == []  # within the grace the request may still be recording it
    later = timezone.now() + timedelta(seconds=61)
    assert invariants(now=later) == ["gateway_capture_unrecorded"]
    payments_reconcile_due(now=later)
    assert invariants(now=later) == []
    assert_audit_clean()


def test_an_authorization_nobody_will_capture_is_a_finding(paid_order, buyer, place_order):
    other = place_order()
    order_pay(buyer=buyer, order_id=other.pk, method="card", token="tok_visa", idempotency_key="pay-2")
    Payment.objects.filter(order=other).update(status="failed")
    SandboxCharge.objects.filter(ref=Payment.objects.get(order=other).gateway_ref).update(status="authorized",
                                                                                       captured_minor=0)
    assert "gateway_authorization_orphaned" in invariants()


def test_a_refund_made_by_a_worker_that_died_is_finished_by_the_refunds_sweep_and_the_audit_agrees(
        paid_order, settle_now, monkeypatch):
    refund = refund_create(order_id=paid_order.pk, amount=Money("5.00", "USD"), reason="damaged", actor=None,
                           idempotency_key="r1")
    original = SandboxGateway.refund

    def refund_then_die(self, **kwargs):
        original(self, **kwargs)
        raise Crash

    monkeypatch.setattr(SandboxGateway, "refund", refund_then_die)
    with pytest.raises(Crash):
        refund_process(refund_id=refund.pk)
    monkeypatch.undo()
    made = SandboxRefund.objects.get()
    assert made.idempotency_key == f"refund-{refund.pk}" and Refund.objects.get().gateway_ref == ""
    assert invariants() == []  # in flight: the gateway has it under the refund's key, Souk's refund is pending

    later = timezone.now() + timedelta(hours=1)  # the dead worker's lease is over
    while refunds_due(now=later):
        later += timedelta(minutes=5)
    settled = Refund.objects.get()
    assert settled.state == "succeeded" and settled.gateway_ref == made.ref and SandboxRefund.objects.count() == 1
    assert_audit_clean()


def test_a_refund_souk_says_settled_but_the_gateway_does_not_is_a_finding(paid_order, settle_now):
    refund = refund_create(order_id=paid_order.pk, amount=Money("5.00", "USD"), reason="damaged", actor=None,
                           idempotency_key="r1")
    refund_process(refund_id=refund.pk)
    refund_process(refund_id=refund.pk, force=True)
    assert Refund.objects.get().state == "succeeded"
    assert_audit_clean()
    SandboxRefund.objects.update(status="failed")
    assert invariants() == ["refund_mismatch"]
