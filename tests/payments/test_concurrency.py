"""Real threads on PostgreSQL: parallel refunds never exceed what was captured."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from moneyed import Money

from souk.core.errors import DomainError
from souk.ledger.selectors import order_money
from souk.payments.models import Refund
from souk.payments.services import order_pay, refund_create
from tests.ledger.audit import assert_audit_clean

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _parallel(n, func):
    def call(i):
        try:
            return func(i)
        except DomainError as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(call, range(n)))


def test_fifty_refunds_with_different_keys_never_exceed_captured(buyer, place_order):
    order = place_order(gadgets=1)  # $23.00 captured
    order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key="p")
    results = _parallel(50, lambda i: refund_create(order_id=order.pk, amount=Money("1.00", "USD"), reason="r",
                                                    actor=None, idempotency_key=f"k{i}"))
    made = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(made) == 23 and len(refused) == 27
    assert {e.code for e in refused} == {"refund_exceeds_captured"}
    assert order_money(order.pk).refunded == Money(23, "USD")
    assert_audit_clean()


def test_fifty_refunds_with_the_same_key_make_exactly_one(buyer, place_order):
    order = place_order(gadgets=1)
    order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key="p")
    results = _parallel(50, lambda i: refund_create(order_id=order.pk, amount=Money("5.00", "USD"), reason="r",
                                                    actor=None, idempotency_key="same"))
    assert all(isinstance(r, Refund) for r in results)
    assert len({(r.pk, r.amount_minor, r.state) for r in results}) == 1
    assert Refund.objects.count() == 1 and order_money(order.pk).refunded == Money(5, "USD")
    assert_audit_clean()
