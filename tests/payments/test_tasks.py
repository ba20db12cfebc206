"""Refund fast path: a refund made at the API is handed to the worker at once (the sweep is the net)."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from souk.payments.models import Refund
from souk.payments.services import order_pay
from tests.ledger.audit import assert_audit_clean
from tests.payments.test_api import Api
from tests.payments.test_protection import run_stored

pytestmark = pytest.mark.django_db


def test_refund_made_at_the_api_is_handed_to_the_worker_and_settles(buyer, place_order, shop):
    order = place_order()
    order_pay(buyer=buyer, order_id=order.pk, method="balance", token="tok_balance", idempotency_key="p")
    resp = Api(shop[0].owner).post(f"/seller/orders/{order.number}/refunds",
                                   {"amount": "4.00", "currency": "USD", "reason": "r"}, key="r")
    assert resp.status_code == 201
    task = DBTaskResult.objects.get(task_path__endswith="process_refund")
    assert task.task_path.endswith("process_refund") and task.args_kwargs["args"] == [resp.json()["id"]]
    assert run_stored(task) == "succeeded"
    assert Refund.objects.get().state == "succeeded"
    assert_audit_clean()


def test_refused_refund_hands_nothing_to_the_worker(buyer, place_order, shop):
    order = place_order()
    resp = Api(shop[0].owner).post(f"/seller/orders/{order.number}/refunds",
                                   {"amount": "4.00", "currency": "USD", "reason": "r"}, key="r")
    assert resp.status_code == 409
    assert not DBTaskResult.objects.filter(task_path__endswith="process_refund").exists()
