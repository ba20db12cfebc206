"""A retry with the same Idempotency-Key gets the first answer's very bytes, status and content type,
errors included (docs/api.md, "Idempotency"): a client may compare or hash the bodies."""

from __future__ import annotations

import pytest

from souk.payments.models import IdempotencyKey
from tests.support import Api

pytestmark = pytest.mark.django_db


def assert_same_answer(first, replay) -> None:
    assert replay["Idempotent-Replayed"] == "true"
    assert (replay.status_code, replay["Content-Type"]) == (first.status_code, first["Content-Type"])
    assert replay.content == first.content


def test_a_replayed_payment_is_the_same_bytes_as_the_first_answer(buyer, place_order):
    order = place_order()
    api = Api(buyer)
    first = api.post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"}, key="bytes-ok")
    replay = api.post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"}, key="bytes-ok")
    assert first.status_code == 201
    assert_same_answer(first, replay)


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"amount": "1.001", "currency": "USD", "reason": "r"}, 422, "money_too_precise"),
    ({"amount": "999.00", "currency": "USD", "reason": "r"}, 422, "refund_exceeds_captured"),
])
def test_a_replayed_refund_error_is_the_same_bytes_as_the_first_answer(buyer, place_order, shop, body, status,
                                                                       code):
    order = place_order()
    assert Api(buyer).post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"},
                           key="p").status_code == 201
    seller = Api(shop[0].owner)
    first = seller.post(f"/seller/orders/{order.number}/refunds", body, key=f"bytes-{code}")
    replay = seller.post(f"/seller/orders/{order.number}/refunds", body, key=f"bytes-{code}")
    assert (first.status_code, first.json()["code"]) == (status, code)
    assert_same_answer(first, replay)


def test_a_declined_payment_replays_byte_for_byte(buyer, place_order):
    order = place_order()
    api = Api(buyer)
    body = {"method": "card", "token": "tok_expired_card"}
    first = api.post(f"/orders/{order.number}/pay", body, key="bytes-declined")
    replay = api.post(f"/orders/{order.number}/pay", body, key="bytes-declined")
    assert first.status_code == 402
    assert_same_answer(first, replay)
    assert IdempotencyKey.objects.get(key="bytes-declined").status_code == 402


def test_an_answer_kept_before_the_upgrade_still_replays(buyer, place_order):
    # Records written before answers were kept verbatim hold the JSON object itself.
    order = place_order()
    api = Api(buyer)
    api.post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"}, key="old-record")
    record = IdempotencyKey.objects.get(key="old-record")
    record.response = {"status": "captured", "id": 7}
    record.save(update_fields=["response"])
    replay = api.post(f"/orders/{order.number}/pay", {"method": "card", "token": "tok_visa"}, key="old-record")
    assert replay.status_code == 201 and replay.content == b'{"id": 7, "status": "captured"}'
