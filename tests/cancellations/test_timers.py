"""Deadlines run by the worker code path: sweeps and the tasks scheduled with run_after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from souk.cancellations import tasks
from souk.cancellations.models import Cancellation, CancellationRequest
from souk.cancellations.services import (
    auto_approve_requests,
    cancel_unshipped_orders,
    cancellation_request_withdraw,
    expire_unpaid_orders,
    order_cancel_by_buyer,
)
from souk.catalog.models import Product
from souk.core.sweeps import run_due_sweeps
from souk.ledger.selectors import order_money
from souk.notifications.models import Notification
from souk.orders.models import Order, OrderEvent
from souk.payments.models import Payment, Refund
from souk.payments.tasks import decide_review, process_refund
from tests.ledger.audit import assert_audit_clean

pytestmark = pytest.mark.django_db


def later(hours: float):
    return timezone.now() + timedelta(hours=hours)


def test_unpaid_order_is_cancelled_when_the_payment_window_ends(buyer, shop, place_order):
    gadget = shop[1]
    unpaid, paid = place_order(gadgets=2), place_order(gadgets=1, paid=True)
    assert expire_unpaid_orders(now=later(23)) == 0  # not due yet
    assert expire_unpaid_orders(now=later(25)) == 1
    unpaid.refresh_from_db()
    assert unpaid.status == "cancelled" and unpaid.cancelled_at is not None
    assert Order.objects.get(pk=paid.pk).status == "awaiting_shipment"
    assert Product.objects.get(pk=gadget.pk).stock == 49  # 2 back; the paid order keeps its unit
    event = OrderEvent.objects.filter(order=unpaid).last()
    assert (event.kind, event.actor_role, event.data["reason"]) == ("cancel", "system", "payment_not_completed")
    fact = Cancellation.objects.get(order=unpaid)
    assert (fact.reason, fact.fault, fact.actor_role) == ("payment_not_completed", "buyer", "system")
    assert expire_unpaid_orders(now=later(26)) == 0  # done once
    # The buyer is told by the notification step the batch queued (its rows are the outbox): once.
    assert DBTaskResult.objects.filter(task_path="souk.cancellations.tasks.notify_cancellations").exists()
    assert tasks.notify_cancellations.call() == 1 and tasks.notify_cancellations.call() == 0
    assert Notification.objects.filter(recipient=buyer, kind="order_cancelled_unpaid", order=unpaid).count() == 1
    assert_audit_clean()


def test_the_payment_window_task_for_a_paid_order_does_nothing(buyer, place_order):
    order = place_order(paid=True)
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - timedelta(minutes=1))
    assert tasks.expire_payment_window.call(order.pk) == 0
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"


def test_the_payment_window_task_cancels_its_own_order_only(buyer, place_order):
    mine, other = place_order(), place_order()
    Order.objects.filter(pk__in=[mine.pk, other.pk]).update(pay_by=timezone.now() - timedelta(minutes=1))
    assert tasks.expire_payment_window.call(mine.pk) == 1
    assert Order.objects.get(pk=mine.pk).status == "cancelled"
    assert Order.objects.get(pk=other.pk).status == "awaiting_payment"


def test_a_request_the_seller_does_not_answer_is_approved_automatically(buyer, seller, shop, place_order):
    order = place_order(gadgets=1, paid=True)
    result = order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="shipping_too_long")
    task = DBTaskResult.objects.get(task_path__endswith="auto_approve_request")
    assert task.run_after == result.request.respond_by  # scheduled in the same transaction
    assert auto_approve_requests(now=later(47)) == 0
    assert auto_approve_requests(now=later(49)) == 1
    request = CancellationRequest.objects.get(pk=result.request.pk)
    assert request.state == "auto_approved" and request.answered_by is None
    order.refresh_from_db()
    assert order.status == "cancelled" and order_money(order.pk).held.amount == 0
    event = OrderEvent.objects.filter(order=order, kind="cancel").get()
    assert event.actor_role == "system" and event.data["auto"] is True and "automatically" in event.message
    assert event.data["reason"] == "shipping_too_long"
    assert Notification.objects.filter(recipient=buyer, kind="cancellation_auto_approved").exists()
    assert Refund.objects.filter(order=order).count() == 1
    assert auto_approve_requests(now=later(50)) == 0
    assert_audit_clean()


def test_a_stale_auto_approve_task_after_a_withdrawal_does_nothing(buyer, place_order):
    order = place_order(paid=True)
    result = order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind")
    cancellation_request_withdraw(buyer=buyer, order_id=order.pk)
    CancellationRequest.objects.filter(pk=result.request.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    assert tasks.auto_approve_request.call(result.request.pk) == 0
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment" and not Refund.objects.exists()


def test_an_order_not_shipped_by_ship_by_is_cancelled_and_refunded_seller_fault(buyer, seller, shop, place_order):
    order = place_order(gadgets=1, paid=True)
    assert order.ship_by is not None
    assert cancel_unshipped_orders(now=order.ship_by - timedelta(minutes=1)) == 0
    assert cancel_unshipped_orders(now=order.ship_by + timedelta(minutes=1)) == 1
    order.refresh_from_db()
    assert order.status == "cancelled"
    fact = Cancellation.objects.get(order=order)
    assert (fact.reason, fact.fault, fact.actor_role) == ("ship_by_deadline_missed", "seller", "system")
    assert fact.refund.amount_minor == 2300
    assert Notification.objects.filter(recipient=buyer, kind="order_cancelled_not_shipped").exists()
    assert_audit_clean()


def test_time_spent_waiting_for_the_sellers_answer_is_added_to_ship_by(buyer, place_order):
    order = place_order(paid=True)
    t0 = timezone.now()
    order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind", now=t0)
    cancellation_request_withdraw(buyer=buyer, order_id=order.pk, now=t0 + timedelta(hours=30))
    assert Order.objects.get(pk=order.pk).ship_by == order.ship_by + timedelta(hours=30)
    assert DBTaskResult.objects.filter(task_path__endswith="ship_by_deadline").exists()


def test_the_worker_sweeps_are_registered_and_finish_due_deadlines(buyer, place_order):
    order = place_order()
    Order.objects.filter(pk=order.pk).update(pay_by=timezone.now() - timedelta(minutes=1))
    done = run_due_sweeps(force=True)
    assert done["payment_window_expired"] == 1 and done["cancellations_to_notify"] == 1
    assert {"cancellation_requests_due", "ship_by_missed"} <= set(done)
    assert Order.objects.get(pk=order.pk).status == "cancelled"


def test_the_refund_task_takes_the_refund_to_the_gateway(buyer, seller, place_order, settings):
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 0}
    from souk.cancellations.services import order_cancel_by_seller

    order = place_order(paid=True)
    refund = order_cancel_by_seller(seller=seller, order_id=order.pk, reason="out_of_stock").refund
    assert DBTaskResult.objects.filter(task_path="souk.payments.tasks.process_refund",
                                       args_kwargs__args=[refund.pk]).exists()  # queued with the cancellation
    process_refund.call(refund.pk)  # submit
    Refund.objects.filter(pk=refund.pk).update(next_attempt_at=timezone.now())
    assert process_refund.call(refund.pk) == "succeeded"  # poll: settled with an ARN
    assert Refund.objects.get(pk=refund.pk).arn
    assert_audit_clean()


def test_buyer_cancels_during_payment_verification_and_the_hold_is_released(buyer, shop, place_order, settings):
    settings.SOUK = {**settings.SOUK, "PAYMENT_REVIEW_OVER_MINOR": 1}
    gadget = shop[1]
    order = place_order(gadgets=1, paid=True)
    assert order.status == "payment_verification"
    result = order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="payment_problem")
    assert result.order.status == "cancelled" and result.refund is None
    assert Product.objects.get(pk=gadget.pk).stock == 50
    task = DBTaskResult.objects.get(task_path="souk.payments.tasks.decide_review")
    assert task.args_kwargs["args"] == [order.pk, False]
    decide_review.call(order.pk, False)
    assert Payment.objects.get(order=order).status == "voided"
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert_audit_clean()


def test_a_timer_task_left_running_by_a_killed_worker_is_finished_once_by_the_sweep(buyer, place_order):
    order = place_order(paid=True)
    result = order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind")
    # The worker claimed the task and died: django-tasks-db leaves it RUNNING forever (no lease, no retry).
    DBTaskResult.objects.filter(task_path__endswith="auto_approve_request").update(status="RUNNING")
    assert auto_approve_requests(now=later(49)) == 1
    assert auto_approve_requests(now=later(50)) == 0
    assert tasks.auto_approve_request.call(result.request.pk) == 0  # the task, if it ever runs again: nothing
    assert Refund.objects.filter(order=order).count() == 1 and Cancellation.objects.filter(order=order).count() == 1
    assert_audit_clean()


def test_the_deadline_hooks_schedule_the_fast_path_at_the_deadline(buyer, place_order):
    order = place_order()  # checkout itself schedules the payment window
    task = DBTaskResult.objects.get(task_path="souk.cancellations.tasks.expire_payment_window")
    assert task.run_after == order.pay_by and task.args_kwargs["args"] == [order.pk]
    assert tasks.expire_payment_window.call(order.pk) == 0  # early: not due, nothing happens
    assert Order.objects.get(pk=order.pk).status == "awaiting_payment"
