"""Real threads (and a real worker process) on PostgreSQL: every race ends in one consistent outcome,
with at most one refund, and the ledger audit clean."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from souk.cancellations.models import Cancellation, CancellationRequest
from souk.cancellations.services import (
    auto_approve_requests,
    cancellation_request_approve,
    cancellation_request_reject,
    cancellation_request_withdraw,
    expire_unpaid_orders,
    order_cancel_by_buyer,
)
from souk.core.errors import DomainError
from souk.fulfilment.services import order_mark_shipped
from souk.orders.models import Order
from souk.payments.models import Refund
from tests.ledger.audit import assert_audit_clean
from tests.support import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def requested(buyer, place_order):
    order = place_order(paid=True)
    order_cancel_by_buyer(buyer=buyer, order_id=order.pk, reason="changed_mind")
    return order


def due():
    return timezone.now() + timedelta(hours=49)


@pytest.mark.parametrize("attempt", range(3))
def test_seller_ships_while_the_deadline_auto_approves(buyer, seller, place_order, attempt):
    order = requested(buyer, place_order)
    CancellationRequest.objects.filter(order=order).update(respond_by=timezone.now() - timedelta(seconds=1))
    ship, sweep = race(
        lambda: cancellation_request_reject(seller=seller, order_id=order.pk, reason="already_shipped",
                                            carrier="DHL", tracking_number="JD01"),
        lambda: auto_approve_requests(),
    )
    order.refresh_from_db()
    request = CancellationRequest.objects.get(order=order)
    refunds = Refund.objects.filter(order=order).count()
    if order.status == "awaiting_delivery":
        assert request.state == "rejected" and refunds == 0 and sweep == 0
    else:
        assert order.status == "cancelled" and request.state == "auto_approved" and refunds == 1
        assert isinstance(ship, DomainError) and ship.status == 409
    assert_audit_clean()


def test_a_plain_ship_racing_the_deadline_never_refunds_a_shipped_order(buyer, seller, place_order):
    order = requested(buyer, place_order)
    CancellationRequest.objects.filter(order=order).update(respond_by=timezone.now() - timedelta(seconds=1))
    race(lambda: order_mark_shipped(seller=seller, order_id=order.pk, carrier="DHL", tracking_number="JD01"),
         lambda: auto_approve_requests())
    auto_approve_requests()  # the sweep again: closes a request the plain Ship left open
    order.refresh_from_db()
    request = CancellationRequest.objects.get(order=order)
    if order.status == "awaiting_delivery":
        assert request.state == "rejected" and not Refund.objects.filter(order=order).exists()
    else:
        assert request.state == "auto_approved" and Refund.objects.filter(order=order).count() == 1
    assert_audit_clean()


@pytest.mark.parametrize("attempt", range(3))
def test_seller_approves_while_the_buyer_withdraws(buyer, seller, place_order, attempt):
    order = requested(buyer, place_order)
    approve, withdraw = race(lambda: cancellation_request_approve(seller=seller, order_id=order.pk),
                             lambda: cancellation_request_withdraw(buyer=buyer, order_id=order.pk))
    order.refresh_from_db()
    request = CancellationRequest.objects.get(order=order)
    assert [isinstance(r, DomainError) for r in (approve, withdraw)].count(True) == 1
    if request.state == "approved":
        assert order.status == "cancelled" and Refund.objects.filter(order=order).count() == 1
    else:
        assert request.state == "withdrawn" and order.status == "awaiting_shipment"
        assert not Refund.objects.filter(order=order).exists()
    assert_audit_clean()


def test_two_approvals_at_once_make_one_cancellation_and_one_refund(buyer, seller, place_order):
    order = requested(buyer, place_order)
    results = race(*[lambda: cancellation_request_approve(seller=seller, order_id=order.pk)] * 4)
    assert sum(not isinstance(r, DomainError) for r in results) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} == {"no_pending_cancellation_request"}
    assert Refund.objects.filter(order=order).count() == 1 and Cancellation.objects.filter(order=order).count() == 1
    assert_audit_clean()


def test_two_workers_taking_the_same_due_timer_finish_it_once(buyer, place_order):
    order = requested(buyer, place_order)
    results = race(*[lambda: auto_approve_requests(now=due())] * 4)
    assert sum(results) == 1
    assert Refund.objects.filter(order=order).count() == 1 and Cancellation.objects.count() == 1
    assert_audit_clean()


def test_two_workers_share_a_batch_of_due_payment_windows_none_twice(buyer, place_order):
    orders = [place_order() for _ in range(40)]
    later = timezone.now() + timedelta(hours=25)
    results = race(*[lambda: sum(iter(lambda: expire_unpaid_orders(limit=7, now=later), 0))] * 2)
    assert sum(results) == 40
    assert Order.objects.filter(pk__in=[o.pk for o in orders], status="cancelled").count() == 40
    assert Cancellation.objects.count() == 40


def test_souk_worker_batch_finishes_due_deadlines_and_submits_the_refund(buyer, seller, place_order):
    unpaid = place_order()
    Order.objects.filter(pk=unpaid.pk).update(pay_by=timezone.now() - timedelta(minutes=1))
    order = requested(buyer, place_order)
    CancellationRequest.objects.filter(order=order).update(respond_by=timezone.now() - timedelta(seconds=1))
    connection.close()
    db = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                                         f"{db['PORT'] or 5432}/{db['NAME']}", "SOUK_LOG_LEVEL": "WARNING"}
    souk = str(Path(sys.executable).with_name("souk"))
    subprocess.run([souk, "worker", "--batch", "--verbosity", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    assert Order.objects.get(pk=unpaid.pk).status == "cancelled"
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert CancellationRequest.objects.get(order=order).state == "auto_approved"
    refund = Refund.objects.get(order=order)
    assert refund.attempts == 1 and refund.gateway_ref  # the worker took it to the gateway
    assert_audit_clean()


def test_a_deadline_batch_still_queues_every_notification_delivery_after_commit(buyer, place_order):
    from django_tasks_db.models import DBTaskResult

    from souk.cancellations.services.timers import notify_cancellations

    orders = [place_order() for _ in range(3)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(pay_by=timezone.now() - timedelta(minutes=1))
    assert expire_unpaid_orders() == 3
    assert notify_cancellations() == 3
    # one delivery task per email, enqueued together in one transaction once the batch committed
    assert DBTaskResult.objects.filter(task_path__startswith="souk.notifications.tasks.deliver_emails").count() == 3
