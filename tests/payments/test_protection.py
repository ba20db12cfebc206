"""Buyer protection ends: the worker completes the order and releases the escrow to the seller."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from moneyed import Money

from souk.fulfilment.services import order_confirm_receipt, order_mark_shipped
from souk.ledger.selectors import order_money
from souk.orders.models import Order, OrderEvent
from souk.orders.status import Status
from souk.payments.services import order_pay, protection_ended_due, refund_create
from souk.payments.services.protection import order_protection_end
from tests.ledger.audit import assert_audit_clean
from tests.payments.conftest import new_key
from tests.payments.test_money_walkthroughs import usd


def run_stored(row: DBTaskResult):
    """Run a stored task as the worker would (the worker itself closes connections: not in a test)."""
    args = row.args_kwargs
    return row.task.call(*args["args"], **args["kwargs"])


def shipped(buyer, seller, order):
    order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key=new_key())
    return order_mark_shipped(seller=seller, order_id=order.pk, carrier="DHL", tracking_number="DHL-1")


@pytest.mark.django_db
def test_protection_ending_completes_the_order_and_pays_the_seller_less_commission(buyer, place_order, shop):
    order = shipped(buyer, shop[0].owner, place_order(gadgets=1))
    assert protection_ended_due() == 0  # 60 days to go
    assert protection_ended_due(now=order.protection_ends_at - timedelta(seconds=1)) == 0
    assert protection_ended_due(now=order.protection_ends_at) == 1
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and order.completed_at is not None
    event = OrderEvent.objects.get(order=order, kind="confirm_receipt")
    assert event.actor_role == "system" and event.data["why"] == "protection_ended"
    money = order_money(order.pk)
    assert money.held == usd(0) and money.released == usd(23) and money.commission == usd("1.84")
    assert protection_ended_due(now=order.protection_ends_at + timedelta(days=1)) == 0  # once only
    assert_audit_clean()


@pytest.mark.django_db
def test_buyer_who_confirmed_first_is_not_completed_twice(buyer, place_order, shop):
    order = shipped(buyer, shop[0].owner, place_order())
    order_confirm_receipt(buyer=buyer, order_id=order.pk)
    assert order_protection_end(order_id=order.pk, now=order.protection_ends_at) is False
    assert protection_ended_due(now=order.protection_ends_at) == 0
    assert OrderEvent.objects.filter(order=order, kind="confirm_receipt").count() == 1
    assert_audit_clean()


@pytest.mark.django_db
def test_open_refund_holds_the_release_until_it_settles(buyer, place_order, shop):
    order = shipped(buyer, shop[0].owner, place_order())
    refund_create(order_id=order.pk, amount=Money("3.00", "USD"), reason="partial", actor=None, idempotency_key="r")
    assert protection_ended_due(now=order.protection_ends_at) == 1
    money = order_money(order.pk)
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED and money.held == usd(20)
    assert money.released == usd(0)  # the escrow sweep releases it once the refund is final
    assert_audit_clean()


@pytest.mark.django_db
def test_shipping_schedules_the_task_that_ends_protection_when_it_is_due(buyer, place_order, shop):
    order = shipped(buyer, shop[0].owner, place_order())
    task = DBTaskResult.objects.get(task_path__endswith="end_protection")
    order.refresh_from_db()
    assert task.run_after == order.protection_ends_at and task.args_kwargs["args"] == [order.pk]
    # A task that runs before the deadline (a clock skew, a manual run) changes nothing.
    run_stored(task)
    order.refresh_from_db()
    assert order.status == Status.AWAITING_DELIVERY
    # Once protection has ended, the same task completes the order and releases escrow.
    Order.objects.filter(pk=order.pk).update(protection_ends_at=timezone.now() - timedelta(seconds=1))
    run_stored(task)
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and order_money(order.pk).released == usd(23)
    assert_audit_clean()


@pytest.mark.django_db
def test_release_task_after_the_buyer_confirms_releases_at_once(buyer, place_order, shop,
                                                                 django_capture_on_commit_callbacks):
    order = shipped(buyer, shop[0].owner, place_order())
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        order_confirm_receipt(buyer=buyer, order_id=order.pk)  # enqueues the release itself
    run_stored(DBTaskResult.objects.get(task_path__endswith="release_escrow"))
    assert order_money(order.pk).released == usd(23)
    assert_audit_clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_complete_each_order_once(buyer, place_order, shop):
    orders = [shipped(buyer, shop[0].owner, place_order()) for _ in range(12)]
    later = max(o.protection_ends_at for o in orders)

    def sweep(_):
        try:
            return protection_ended_due(limit=4, now=later)
        finally:
            connection.close()

    total = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        while True:
            done = sum(pool.map(sweep, range(4)))
            total += done
            if not done:
                break
    assert total == 12
    assert OrderEvent.objects.filter(kind="confirm_receipt").count() == 12
    assert OrderEvent.objects.filter(kind="escrow_released").count() == 12
    assert all(order_money(o.pk).released == usd(23) for o in orders)
    assert_audit_clean()


@pytest.mark.django_db
def test_one_order_that_cannot_complete_does_not_hold_back_the_others(buyer, place_order, shop, monkeypatch):
    from souk.payments.services import protection

    good, bad = (shipped(buyer, shop[0].owner, place_order()) for _ in range(2))
    real_release = protection.escrow_release

    def release(*, order_id, now):
        if order_id == bad.pk:
            raise RuntimeError("simulated bug")
        return real_release(order_id=order_id, now=now)

    monkeypatch.setattr(protection, "escrow_release", release)
    later = max(good.protection_ends_at, bad.protection_ends_at)
    assert protection_ended_due(now=later) == 1
    assert Order.objects.get(pk=good.pk).status == Status.COMPLETED
    assert Order.objects.get(pk=bad.pk).status == Status.AWAITING_DELIVERY  # rolled back, retried later
    monkeypatch.setattr(protection, "escrow_release", real_release)
    assert protection_ended_due(now=later) == 1
    assert_audit_clean()


@pytest.mark.django_db
def test_the_escrow_sweep_only_looks_at_completed_orders_not_yet_settled(buyer, place_order, shop):
    from souk.payments.services.escrow import escrow_release_due

    order = shipped(buyer, shop[0].owner, place_order())
    Order.objects.filter(pk=order.pk).update(status=Status.COMPLETED, completed_at=timezone.now())
    assert escrow_release_due() == 1
    order.refresh_from_db()
    assert order.escrow_settled_at is not None and order_money(order.pk).released == usd(23)
    assert escrow_release_due() == 0  # settled: never looked at again
    assert_audit_clean()
