"""The payments API: paying, refunding with Idempotency-Key semantics, seeing refunds; others get 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from souk.payments.idempotency import fingerprint
from souk.payments.models import IdempotencyKey, Payment, Refund
from tests.ledger.audit import assert_audit_clean
from tests.support import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(buyer, place_order):
    order = place_order(gadgets=1)  # $23.00
    resp = Api(buyer).post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"}, key="pay-1")
    assert resp.status_code == 201, resp.content
    return order


@pytest.fixture
def seller(shop):
    return Api(shop[0].owner)


def test_buyer_pays_with_an_idempotency_key_and_a_retry_replays_the_answer(buyer, place_order):
    order = place_order()
    api = Api(buyer)
    first = api.post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"}, key="k1")
    again = api.post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"}, key="k1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["status"] == "captured"
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Payment.objects.count() == 1
    assert_audit_clean()


def test_declined_payment_answers_402_with_the_reason(buyer, place_order):
    order = place_order()
    resp = Api(buyer).post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_expired_card"}, key="d")
    assert resp.status_code == 402
    assert resp.json()["code"] == "payment_declined" and resp.json()["errors"][0]["field"] == "token"


def test_pay_without_idempotency_key_is_refused(buyer, place_order):
    order = place_order()
    resp = Api(buyer).post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"})
    assert resp.status_code == 422 and resp.json()["code"] == "idempotency_key_required"
    assert not Payment.objects.exists()


def test_someone_elses_order_is_404_for_paying_and_refunds(buyer, other_buyer, place_order):
    order = place_order()
    api = Api(other_buyer)
    assert api.post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"}, key="x").status_code == 404
    assert api.get(f"/orders/{order.number}/refunds").status_code == 404
    resp = api.post(f"/seller/orders/{order.number}/refunds", {"amount": "1.00", "currency": "USD", "reason": "x"},
                    key="y")
    assert resp.status_code == 404 and not Payment.objects.exists() and not Refund.objects.exists()


def test_buyer_cannot_refund_their_own_order(buyer, paid_order):
    resp = Api(buyer).post(f"/seller/orders/{paid_order.number}/refunds",
                           {"amount": "1.00", "currency": "USD", "reason": "x"}, key="self")
    assert resp.status_code == 404 and not Refund.objects.exists()


def test_seller_refunds_and_the_buyer_sees_state_amount_eta_and_reference(buyer, paid_order, seller):
    resp = seller.post(f"/seller/orders/{paid_order.number}/refunds",
                       {"amount": "5.00", "currency": "USD", "reason": "out_of_stock"}, key="r1")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["state"] == "pending" and body["amount"] == "5.00" and body["method"] == "card"
    [seen] = Api(buyer).get(f"/orders/{paid_order.number}/refunds").json()
    assert seen["id"] == body["id"] and seen["expected_by"] and seen["delayed"] is False
    assert_audit_clean()


def test_same_key_other_parameters_is_422_and_writes_nothing(paid_order, seller):
    path = f"/seller/orders/{paid_order.number}/refunds"
    assert seller.post(path, {"amount": "5.00", "currency": "USD", "reason": "r"}, key="k").status_code == 201
    resp = seller.post(path, {"amount": "6.00", "currency": "USD", "reason": "r"}, key="k")
    assert resp.status_code == 422 and resp.json()["code"] == "idempotency_key_reused"
    assert Refund.objects.count() == 1


def test_key_still_in_flight_after_the_wait_is_409(buyer, paid_order, seller, shop, settings):
    settings.SOUK = {**settings.SOUK, "IDEMPOTENCY_WAIT_SECONDS": 0.2}
    now = timezone.now()
    IdempotencyKey.objects.create(user=shop[0].owner, key="busy", scope="refund", created_at=now,
                                  fingerprint=fingerprint(f"refund:{paid_order.number}", {
                                      "amount": "5.00", "currency": "USD", "lines": None, "reason": "r"}),
                                  expires_at=now + timedelta(hours=24))
    resp = seller.post(f"/seller/orders/{paid_order.number}/refunds",
                       {"amount": "5.00", "currency": "USD", "reason": "r"}, key="busy")
    assert resp.status_code == 409 and resp.json()["code"] == "idempotency_request_in_flight"
    assert not Refund.objects.exists()


def test_expired_key_can_be_used_again(paid_order, seller, shop):
    path = f"/seller/orders/{paid_order.number}/refunds"
    seller.post(path, {"amount": "5.00", "currency": "USD", "reason": "r"}, key="old")
    IdempotencyKey.objects.filter(key="old").update(expires_at=timezone.now() - timedelta(seconds=1))
    resp = seller.post(path, {"amount": "6.00", "currency": "USD", "reason": "r"}, key="old")
    # A fresh request at the API edge; the refund service still knows the key for this order.
    assert resp.status_code == 422 and resp.json()["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"amount": "-1", "currency": "USD", "reason": "r"}, 422, "amount_not_positive", "amount"),
    ({"amount": "0", "currency": "USD", "reason": "r"}, 422, "amount_not_positive", "amount"),
    ({"amount": "23.01", "currency": "USD", "reason": "r"}, 422, "refund_exceeds_captured", "amount"),
    ({"amount": "1.00", "currency": "EUR", "reason": "r"}, 422, "currency_mismatch", "currency"),
    ({"amount": "1.00", "currency": "usd", "reason": "r"}, 422, "unknown_currency", "currency"),
    ({"amount": "1.001", "currency": "USD", "reason": "r"}, 422, "money_too_precise", "amount"),
])
def test_bad_refund_input_is_a_clear_4xx_and_nothing_is_written(paid_order, seller, body, status, code, field):
    resp = seller.post(f"/seller/orders/{paid_order.number}/refunds", body, key=f"bad-{code}")
    assert resp.status_code == status, resp.content
    assert resp.json()["code"] == code and resp.json()["errors"][0]["field"] == field
    assert not Refund.objects.exists()
    # The error is the stored answer for the key: a retry replays it.
    again = seller.post(f"/seller/orders/{paid_order.number}/refunds", body, key=f"bad-{code}")
    assert again.status_code == status and again["Idempotent-Replayed"] == "true"


def test_refund_on_an_unpaid_order_is_409(buyer, place_order, seller):
    order = place_order()
    resp = seller.post(f"/seller/orders/{order.number}/refunds", {"amount": "1.00", "currency": "USD", "reason": "r"},
                       key="unpaid")
    assert resp.status_code == 409 and resp.json()["code"] == "order_not_paid"
