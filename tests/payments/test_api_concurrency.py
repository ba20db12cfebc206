"""Idempotency-Key under real concurrency: real threads on PostgreSQL through the WSGI stack.

Each thread has its own test Client and its own database connection.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.test import Client
from moneyed import Money

from souk.accounts.tokens import token_create
from souk.ledger.selectors import order_money
from souk.orders.models import Order
from souk.payments.models import IdempotencyKey, Payment, Refund, SandboxCharge
from souk.payments.services import order_pay
from tests.ledger.audit import assert_audit_clean

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def bearer(user) -> dict:
    _, raw = token_create(user=user, name="test")
    return {"Authorization": f"Bearer {raw}"}


def post(auth: dict, path: str, body: dict, key: str):
    try:
        return Client().post(f"/api{path}", data=body, content_type="application/json",
                             headers={**auth, "Idempotency-Key": key})
    finally:
        connection.close()


def in_parallel(n: int, fn):
    start = threading.Barrier(n)

    def call(i):
        start.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(call, range(n)))


def wait_until(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("timed out")


@pytest.fixture
def paid_order(buyer, place_order):
    order = place_order(gadgets=1)  # $23.00
    order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key="pay")
    return order


def test_fifty_identical_refund_requests_make_one_refund_and_the_same_answer(paid_order, shop):
    auth = bearer(shop[0].owner)
    body = {"amount": "5.00", "currency": "USD", "reason": "damaged"}
    responses = in_parallel(50, lambda i: post(auth, f"/seller/orders/{paid_order.number}/refunds", body, "same"))
    assert [r.status_code for r in responses] == [201] * 50, {r.status_code: r.content for r in responses}
    assert len({r.content for r in responses}) == 1  # byte-for-byte the same answer
    assert sum(not r.has_header("Idempotent-Replayed") for r in responses) == 1
    assert Refund.objects.count() == 1 and order_money(paid_order.pk).refunded == Money(5, "USD")
    assert_audit_clean()


def test_fifty_refund_requests_with_different_keys_never_refund_more_than_captured(paid_order, shop):
    auth = bearer(shop[0].owner)
    body = {"amount": "1.00", "currency": "USD", "reason": "goodwill"}
    responses = in_parallel(50, lambda i: post(auth, f"/seller/orders/{paid_order.number}/refunds", body, f"k{i}"))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 23 + [422] * 27
    assert {r.json()["code"] for r in responses if r.status_code == 422} == {"refund_exceeds_captured"}
    assert Refund.objects.count() == 23 and order_money(paid_order.pk).refunded == Money(23, "USD")
    assert_audit_clean()


def test_twin_of_a_slow_payment_waits_and_replays_its_answer(buyer, place_order, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_AUTHORIZE_LATENCY_SECONDS": 0.5, "IDEMPOTENCY_WAIT_SECONDS": 10}
    order = place_order()
    auth = bearer(buyer)
    body = {"method": "card", "token": "tok_visa"}
    responses = in_parallel(8, lambda i: post(auth, f"/orders/{order.number}/pay", body, "pay-twins"))
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.content for r in responses}) == 1
    assert Payment.objects.count() == 1 and SandboxCharge.objects.count() == 1
    assert_audit_clean()


def test_twin_of_a_payment_still_at_the_gateway_after_the_wait_gets_409(buyer, place_order, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_AUTHORIZE_LATENCY_SECONDS": 3, "IDEMPOTENCY_WAIT_SECONDS": 0.3}
    order = place_order()
    auth = bearer(buyer)
    body = {"method": "card", "token": "tok_visa"}
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post, auth, f"/orders/{order.number}/pay", body, "slow")
        # The first request holds the key and is waiting on the (slow) gateway.
        wait_until(lambda: Payment.objects.filter(order=order).exists())
        assert IdempotencyKey.objects.get(key="slow").status_code is None
        twin = post(auth, f"/orders/{order.number}/pay", body, "slow")
        assert twin.status_code == 409 and twin.json()["code"] == "idempotency_request_in_flight"
        assert first.result().status_code == 201
    again = post(auth, f"/orders/{order.number}/pay", body, "slow")
    assert again.status_code == 201 and again.content == first.result().content
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1 and SandboxCharge.objects.count() == 1
    assert_audit_clean()


def test_twin_of_a_refund_blocked_on_the_order_lock_gets_409_then_the_replay(paid_order, shop, settings):
    settings.SOUK = {**settings.SOUK, "IDEMPOTENCY_WAIT_SECONDS": 0.3}
    auth = bearer(shop[0].owner)
    path, body = f"/seller/orders/{paid_order.number}/refunds", {"amount": "2.00", "currency": "USD", "reason": "r"}
    locked, release = threading.Event(), threading.Event()

    def hold_the_order():  # another transaction (say, a cancellation) holds the order row
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=paid_order.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        holder = pool.submit(hold_the_order)
        assert locked.wait(10)
        first = pool.submit(post, auth, path, body, "locked")
        wait_until(lambda: IdempotencyKey.objects.filter(key="locked").exists())
        time.sleep(0.1)
        twin = post(auth, path, body, "locked")
        assert twin.status_code == 409 and twin.json()["code"] == "idempotency_request_in_flight"
        assert not Refund.objects.exists()
        release.set()
        holder.result()
        assert first.result().status_code == 201
    again = post(auth, path, body, "locked")
    assert again.content == first.result().content and again["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1
    assert_audit_clean()


def test_twenty_pay_requests_with_twenty_keys_make_one_charge(buyer, place_order, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_AUTHORIZE_LATENCY_SECONDS": 0.2}
    order = place_order()
    auth = bearer(buyer)
    body = {"method": "card", "token": "tok_visa"}
    responses = in_parallel(20, lambda i: post(auth, f"/orders/{order.number}/pay", body, f"buyer-tab-{i}"))
    answers = sorted((r.status_code, r.json().get("code", r.json().get("status"))) for r in responses)
    # Those that found the order's one attempt answer it; those that came after it was paid are told so.
    assert set(answers) <= {(201, "captured"), (409, "order_not_awaiting_payment")}, answers
    assert answers[0] == (201, "captured")
    assert Payment.objects.count() == 1 and SandboxCharge.objects.count() == 1
    assert SandboxCharge.objects.get().status == "captured" and order_money(order.pk).captured == order.total
    assert_audit_clean()


def test_other_cards_while_a_payment_is_at_the_gateway_wait_and_one_charge_is_made(buyer, place_order, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_AUTHORIZE_LATENCY_SECONDS": 0.5}
    order = place_order()
    auth = bearer(buyer)
    tokens = ["tok_visa", "tok_mastercard"]
    responses = in_parallel(10, lambda i: post(auth, f"/orders/{order.number}/pay",
                                               {"method": "card", "token": tokens[i % 2]}, f"tab-{i}"))
    codes = {(r.status_code, r.json().get("code", r.json().get("status"))) for r in responses}
    assert codes <= {(201, "captured"), (409, "payment_in_progress"), (409, "order_not_awaiting_payment")}, codes
    assert (201, "captured") in codes
    assert Payment.objects.count() == 1 and SandboxCharge.objects.filter(status="captured").count() == 1
    assert_audit_clean()
