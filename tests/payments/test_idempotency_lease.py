"""A request that died holding its Idempotency-Key does not block the key for a day: after the lease
(IDEMPOTENCY_LEASE_SECONDS, docs/api.md "Idempotency") the retry with the same key goes through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from souk.payments.idempotency import fingerprint
from souk.payments.models import IdempotencyKey, Payment, Refund
from tests.ledger.audit import assert_audit_clean
from tests.support import Api

pytestmark = pytest.mark.django_db

PAY = {"method": "card", "token": "tok_visa"}
REFUND = {"amount": "5.00", "currency": "USD", "reason": "r"}


@pytest.fixture
def short_wait(settings):
    settings.SOUK = {**settings.SOUK, "IDEMPOTENCY_WAIT_SECONDS": 0.2, "IDEMPOTENCY_LEASE_SECONDS": 30}


@pytest.fixture
def advance_clock(monkeypatch):
    """Move Django's clock forward (for everything that asks `timezone.now()`), keeping it running."""
    real_now = timezone.now

    def advance(seconds: float) -> None:
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=seconds))

    return advance


def crashed_request(user, key: str, scope: str, params: dict) -> None:
    """What a request killed mid-way leaves behind: its key claimed, in flight, never answered."""
    now = timezone.now()
    IdempotencyKey.objects.create(user=user, key=key, scope=scope, fingerprint=fingerprint(scope, params),
                                  created_at=now, expires_at=now + timedelta(hours=24))


def test_a_buyer_whose_pay_request_crashed_can_retry_with_the_same_key_once_the_lease_is_over(
        buyer, place_order, short_wait, advance_clock):
    order = place_order()
    api = Api(buyer)
    crashed_request(buyer, "pay-crashed", f"pay:{order.number}", PAY)

    within = api.post(f"/orders/{order.number}/pay", PAY, key="pay-crashed")
    assert within.status_code == 409 and within.json()["code"] == "idempotency_request_in_flight"

    advance_clock(31)
    retry = api.post(f"/orders/{order.number}/pay", PAY, key="pay-crashed")
    assert retry.status_code == 201, retry.content
    assert retry.json()["status"] == "captured" and not retry.has_header("Idempotent-Replayed")
    again = api.post(f"/orders/{order.number}/pay", PAY, key="pay-crashed")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Payment.objects.filter(order=order).count() == 1
    assert_audit_clean()


def test_a_seller_whose_refund_request_crashed_can_retry_with_the_same_key_once_the_lease_is_over(
        buyer, place_order, shop, short_wait, advance_clock):
    order = place_order()
    assert Api(buyer).post(f"/orders/{order.number}/pay", PAY, key="p").status_code == 201
    seller = shop[0].owner
    api = Api(seller)
    crashed_request(seller, "refund-crashed", f"refund:{order.number}", {**REFUND, "lines": None})

    within = api.post(f"/seller/orders/{order.number}/refunds", REFUND, key="refund-crashed")
    assert within.status_code == 409 and within.json()["code"] == "idempotency_request_in_flight"
    assert not Refund.objects.exists()

    advance_clock(31)
    retry = api.post(f"/seller/orders/{order.number}/refunds", REFUND, key="refund-crashed")
    assert retry.status_code == 201, retry.content
    assert retry.json()["amount"] == "5.00"
    assert Refund.objects.filter(order=order).count() == 1
    assert_audit_clean()


def test_a_request_waiting_on_a_dead_twin_takes_the_key_over_when_the_lease_runs_out(
        buyer, place_order, settings):
    # The wait (5 s) outlasts the lease (0.5 s): the twin stops waiting on a request that is gone.
    settings.SOUK = {**settings.SOUK, "IDEMPOTENCY_WAIT_SECONDS": 5, "IDEMPOTENCY_LEASE_SECONDS": 0.5}
    order = place_order()
    crashed_request(buyer, "pay-dead-twin", f"pay:{order.number}", PAY)
    retry = Api(buyer).post(f"/orders/{order.number}/pay", PAY, key="pay-dead-twin")
    assert retry.status_code == 201, retry.content
    assert Payment.objects.filter(order=order).count() == 1
