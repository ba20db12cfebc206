"""Accounting walk-throughs: each reads like an example in a bookkeeping course and ends audited."""

from __future__ import annotations

import pytest
from moneyed import Money

from souk.ledger.chart import Account
from souk.ledger.movements import (
    post_capture,
    post_refund_fail,
    post_refund_settle,
    post_refund_start,
    post_release,
)
from souk.ledger.selectors import account_balance, order_money
from tests.ledger.audit import assert_audit_clean

pytestmark = pytest.mark.django_db

ORDER, STORE = 101, 9


def usd(amount) -> Money:
    return Money(amount, "USD")


def test_captured_payment_is_held_in_escrow():
    post_capture(order_id=ORDER, store_id=STORE, amount=usd("40.00"))

    money = order_money(ORDER)
    assert money.captured == usd(40) and money.held == usd(40)
    assert money.released == money.refunded == usd(0)
    assert account_balance(Account.GATEWAY_CLEARING, "USD") == usd(40)
    assert_audit_clean()


def test_completed_order_releases_escrow_to_the_seller_less_commission():
    post_capture(order_id=ORDER, store_id=STORE, amount=usd("40.00"))
    post_release(order_id=ORDER, store_id=STORE, amount=usd("40.00"), commission=usd("3.20"))

    money = order_money(ORDER)
    assert money.held == usd(0)
    assert money.released == usd(40) and money.commission == usd("3.20")
    assert account_balance(Account.SELLER_PAYABLE, "USD") == usd("-36.80")
    assert account_balance(Account.COMMISSION_REVENUE, "USD") == usd("-3.20")
    assert_audit_clean()


def test_refund_leaves_escrow_and_waits_in_flight_until_the_gateway_settles_it():
    post_capture(order_id=ORDER, store_id=STORE, amount=usd("40.00"))
    post_refund_start(order_id=ORDER, store_id=STORE, refund_id=1, amount=usd("15.00"))

    money = order_money(ORDER)
    assert money.held == usd(25) and money.refunded == usd(15) and money.refund_in_flight == usd(15)
    assert money.refundable == usd(25)
    assert_audit_clean()

    post_refund_settle(order_id=ORDER, store_id=STORE, refund_id=1, amount=usd("15.00"))
    money = order_money(ORDER)
    assert money.refund_in_flight == usd(0) and money.refund_settled == usd(15)
    assert account_balance(Account.GATEWAY_CLEARING, "USD") == usd(25)
    assert_audit_clean()


def test_failed_refund_returns_the_money_to_escrow():
    post_capture(order_id=ORDER, store_id=STORE, amount=usd("40.00"))
    post_refund_start(order_id=ORDER, store_id=STORE, refund_id=1, amount=usd("40.00"))
    post_refund_fail(order_id=ORDER, store_id=STORE, refund_id=1, amount=usd("40.00"))

    money = order_money(ORDER)
    assert money.held == usd(40) and money.refunded == usd(0) and money.refund_in_flight == usd(0)
    assert_audit_clean()


def test_partial_refund_then_completion_releases_only_what_is_left():
    post_capture(order_id=ORDER, store_id=STORE, amount=usd("40.00"))
    post_refund_start(order_id=ORDER, store_id=STORE, refund_id=1, amount=usd("10.00"))
    post_refund_settle(order_id=ORDER, store_id=STORE, refund_id=1, amount=usd("10.00"))
    post_release(order_id=ORDER, store_id=STORE, amount=usd("30.00"), commission=usd("2.40"))

    money = order_money(ORDER)
    assert (money.captured, money.held, money.released, money.refunded) == (usd(40), usd(0), usd(30), usd(10))
    assert_audit_clean()


def test_balance_payment_refunded_to_the_balance():
    post_capture(order_id=ORDER, store_id=STORE, amount=usd(20), funding=Account.BUYER_BALANCE)
    post_refund_start(order_id=ORDER, store_id=STORE, refund_id=2, amount=usd(20))
    post_refund_settle(order_id=ORDER, store_id=STORE, refund_id=2, amount=usd(20), funding=Account.BUYER_BALANCE)

    assert account_balance(Account.BUYER_BALANCE, "USD") == usd(0)
    assert order_money(ORDER).refund_settled == usd(20)
    assert_audit_clean()


def test_order_money_is_one_query(django_assert_num_queries):
    post_capture(order_id=ORDER, store_id=STORE, amount=usd("40.00"))
    post_refund_start(order_id=ORDER, store_id=STORE, refund_id=1, amount=usd("5.00"))
    with django_assert_num_queries(1):
        order_money(ORDER)


def test_order_without_entries_is_all_zero_in_the_given_currency():
    money = order_money(999, currency="EUR")
    assert money.captured == Money(0, "EUR") and money.held == Money(0, "EUR")
