"""Refund fast path: creating a refund enqueues its processing for the worker (the sweep is the net)."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult
from moneyed import Money

from souk.payments.models import Refund
from souk.payments.services import order_pay, refund_create
from tests.ledger.audit import assert_audit_clean
from tests.payments.test_protection import run_stored

pytestmark = pytest.mark.django_db


def test_new_refund_is_handed_to_the_worker_on_commit_and_settles(buyer, place_order,
                                                                django_capture_on_commit_callbacks):
    order = place_order()
    order_pay(buyer=buyer, order_id=order.pk, method="balance", token="tok_balance", idempotency_key="p")
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_create(order_id=order.pk, amount=Money("4.00", "USD"), reason="r", actor=None,
                               idempotency_key="r")
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("process_refund") and task.args_kwargs["args"] == [refund.pk]
    assert run_stored(task) == "succeeded"
    assert Refund.objects.get().state == "succeeded"
    assert_audit_clean()


def test_refund_refused_enqueues_nothing(buyer, place_order, django_capture_on_commit_callbacks):
    order = place_order()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="not been paid"):
        refund_create(order_id=order.pk, amount=Money("4.00", "USD"), reason="r", actor=None, idempotency_key="r")
    assert not DBTaskResult.objects.exists()
