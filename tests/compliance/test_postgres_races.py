"""PostgreSQL: real threads and a real worker process.

- The buyer fixes the address as the window closes: exactly one outcome (fixed, or cancelled and refunded).
- `souk worker --batch` as a child process finishes an expired address-fix window.
- Two buyers' requests to extend protection twice at once: one extension.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from souk.cancellations.models import Cancellation
from souk.compliance.models import AddressProblem, ProtectionExtension
from souk.compliance.services import (
    address_fix,
    address_problem_report,
    expire_address_problems,
    protection_extend,
)
from souk.core.errors import Conflict
from souk.fulfilment.services import order_mark_shipped
from souk.orders.models import Order
from souk.payments.models import Refund
from tests.compliance.test_address_problems import NEW_ADDRESS
from tests.ledger.audit import assert_audit_clean
from tests.support import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def test_fix_as_the_window_closes_has_exactly_one_outcome(buyer, seller, place_order):
    outcomes = set()
    for _ in range(6):
        order = place_order()
        problem = address_problem_report(seller=seller, order_id=order.pk, reason="incomplete")
        fixed, expired = race(
            lambda o=order, p=problem: address_fix(buyer=buyer, order_id=o.pk, address=NEW_ADDRESS,
                                                   now=p.fix_by - timedelta(microseconds=1)),
            lambda p=problem: expire_address_problems(now=p.fix_by, problem_ids=[p.pk]))
        order.refresh_from_db()
        state = AddressProblem.objects.get(pk=problem.pk).state
        if isinstance(fixed, AddressProblem):
            outcomes.add("fixed")
            assert expired == 0
            assert state == "fixed" and order.status == "awaiting_shipment"
            assert order.shipping_address["street_address"] == NEW_ADDRESS["street_address"]
            assert not Cancellation.objects.filter(order=order).exists()
        else:
            outcomes.add("cancelled")
            assert isinstance(fixed, Conflict), fixed
            assert expired == 1
            assert state == "expired" and order.status == "cancelled"
            assert order.shipping_address["street_address"] != NEW_ADDRESS["street_address"]
            assert Cancellation.objects.get(order=order).reason == "address_unusable"
            assert Refund.objects.filter(order=order).count() == 1
    assert outcomes  # each round ended one way; which one depends on who locked the order first
    assert_audit_clean()


def test_two_extension_requests_at_once_extend_protection_once(buyer, seller, place_order):
    order = place_order()
    order_mark_shipped(seller=seller, order_id=order.pk, carrier="DHL", tracking_number="JD77")
    ends = Order.objects.get(pk=order.pk).protection_ends_at
    results = race(lambda: protection_extend(buyer=buyer, order_id=order.pk, days=10),
                    lambda: protection_extend(buyer=buyer, order_id=order.pk, days=20))
    assert sum(isinstance(r, ProtectionExtension) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    ext = ProtectionExtension.objects.get(order=order)
    assert Order.objects.get(pk=order.pk).protection_ends_at == ends + timedelta(days=ext.days)


def _worker_env() -> dict[str, str]:
    parts = urlsplit(os.environ["DATABASE_URL"])
    env = dict(os.environ)
    env.update({"DATABASE_URL": urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"])),
                "DJANGO_SETTINGS_MODULE": "souk.settings", "SOUK_LOG_LEVEL": "WARNING",
                "SOUK_SANDBOX_REFUND_SETTLE_SECONDS": "0"})
    env.pop("SOUK_TEST_DB_NAME", None)
    return env


def test_souk_worker_batch_cancels_and_refunds_an_address_not_fixed_in_time(buyer, seller, place_order):
    order = place_order(gadgets=2)
    problem = address_problem_report(seller=seller, order_id=order.pk, reason="phone_unreachable")
    past = timezone.now() - timedelta(seconds=1)  # the window closed
    AddressProblem.objects.filter(pk=problem.pk).update(fix_by=past)
    DBTaskResult.objects.filter(task_path="souk.compliance.tasks.address_fix_deadline").update(run_after=past)

    done = subprocess.run([sys.executable, "-m", "souk.cli", "worker", "--batch"], cwd=ROOT, env=_worker_env(),
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-3000:]
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert AddressProblem.objects.get(pk=problem.pk).state == "expired"
    cancellation = Cancellation.objects.get(order=order)
    assert (cancellation.reason, cancellation.fault, cancellation.actor_role) == (
        "address_unusable", "platform", "system")
    refund = Refund.objects.get(order=order)
    assert refund.amount_minor == order.total_minor
    # The refund the cancellation queued was processed by the same worker run.
    assert refund.attempts >= 1
    assert_audit_clean()
