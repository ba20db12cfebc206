"""A worker SIGKILLed in the middle of a refund, then started again: the money moves exactly once.

Real processes on PostgreSQL: `souk worker` runs as a child against the test
database. The sandbox gateway is told (through the environment) to stall inside
its refund call, either before it has done anything or after it has refunded
but before it answers; the test waits until the worker is provably there, kills
it with SIGKILL, starts a fresh worker, and waits for the refund to settle.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from moneyed import Money

from souk.ledger.models import JournalEntry
from souk.notifications.models import EmailMessage, Notification
from souk.payments.models import Refund, RefundAttempt, SandboxRefund
from souk.payments.services import order_pay, refund_create
from tests.ledger.audit import assert_audit_clean
from tests.support import output, spawn

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2  # REFUND_RETRY_BASE_SECONDS: how long a claim is held before another worker may retry


def _worker_env(**extra: str) -> dict[str, str]:
    parts = urlsplit(os.environ["DATABASE_URL"])
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"])),
        "DJANGO_SETTINGS_MODULE": "souk.settings",
        "SOUK_LOG_LEVEL": "WARNING",
        "SOUK_REFUND_RETRY_BASE_SECONDS": str(LEASE_SECONDS),
        "SOUK_REFUND_SWEEP_SECONDS": "0.1",
        "SOUK_ESCROW_SWEEP_SECONDS": "3600",
        "SOUK_SANDBOX_REFUND_SETTLE_SECONDS": "0",
        "SOUK_REFUND_POLL_SECONDS": "1",
    })
    env.pop("SOUK_TEST_DB_NAME", None)
    env.update(extra)
    return env


def _start_worker(**extra: str) -> subprocess.Popen:
    return spawn([sys.executable, "-m", "souk.cli", "worker", "--sweep-interval", "0.1"], cwd=ROOT,
                 env=_worker_env(**extra))


def _wait_for(condition, *, seconds: float, what: str, procs=()):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"worker exited early while waiting for {what}: {output(proc)}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.mark.parametrize("stalls", ["before_the_gateway_refunds", "after_the_gateway_refunded"])
def test_worker_killed_mid_refund_and_restarted_completes_the_refund_exactly_once(buyer, place_order, stalls):
    order = place_order(gadgets=1)  # $23.00
    order_pay(buyer=buyer, order_id=order.pk, method="card", token="tok_visa", idempotency_key="pay")
    refund = refund_create(order_id=order.pk, amount=Money("5.00", "USD"), reason="out_of_stock", actor=None,
                           idempotency_key="r1")
    latency = ("SOUK_SANDBOX_REFUND_LATENCY_BEFORE_SECONDS" if stalls == "before_the_gateway_refunds"
               else "SOUK_SANDBOX_REFUND_LATENCY_AFTER_SECONDS")
    first = _start_worker(**{latency: "120"})
    second = None
    try:
        # The first worker has claimed the refund (attempt recorded, lease set) and is inside the gateway call.
        _wait_for(lambda: RefundAttempt.objects.filter(refund=refund, finished_at__isnull=True).exists(),
                  seconds=60, what="the first worker to claim the refund", procs=[first])
        if stalls == "after_the_gateway_refunded":
            _wait_for(lambda: SandboxRefund.objects.exists(), seconds=30, what="the gateway refund", procs=[first])

        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
        # The worker is dead, so what it left cannot change until the next one starts: Souk has a claimed,
        # unanswered refund, and the processor has refunded nothing (killed before) or exactly once
        # (killed after, the answer lost). A worker that did not stall would have settled it by now.
        claimed = Refund.objects.get(pk=refund.pk)
        assert (claimed.state, claimed.gateway_ref, claimed.attempts) == ("pending", "", 1)
        assert SandboxRefund.objects.count() == (1 if stalls == "after_the_gateway_refunded" else 0)
        lease_ends = claimed.next_attempt_at
        # `souk audit` agrees: a refund the processor made under the refund's key while Souk's is still
        # pending without a ref is in flight (the refunds sweep records it), not a refund Souk does not know.
        assert_audit_clean()

        second = _start_worker()
        settled = _wait_for(lambda: Refund.objects.filter(pk=refund.pk, state="succeeded").first(), seconds=90,
                            what="the refund to settle after the restart", procs=[second])
    finally:
        _stop(first)
        if second is not None:
            _stop(second)

    # Exactly one refund at the processor, one settled refund at Souk, with its bank reference.
    assert SandboxRefund.objects.count() == 1
    assert SandboxRefund.objects.get().idempotency_key == f"refund-{refund.pk}"
    assert Refund.objects.filter(order=order).count() == 1
    assert settled.arn and len(settled.arn) == 23 and settled.gateway_ref == SandboxRefund.objects.get().ref
    # The ledger moved the money once: promised once, settled once.
    kinds = list(JournalEntry.objects.filter(refund_id=refund.pk).values_list("kind", flat=True))
    assert sorted(kinds) == ["refund_settle", "refund_start"]
    # The killed worker's claim was taken over only after its lease ran out, and its attempt is on record.
    history = list(RefundAttempt.objects.filter(refund=refund).order_by("number"))
    assert history[0].outcome == "abandoned"
    assert history[1].started_at >= lease_ends
    assert history[-1].outcome == "succeeded"
    # The buyer heard it once, with the bank reference: the news committed with the settlement only.
    told = Notification.objects.filter(recipient=buyer, kind="refund_succeeded")
    assert [n.data["arn"] for n in told] == [settled.arn]
    assert EmailMessage.objects.filter(recipient=buyer, kind="refund_succeeded").count() == 1
    assert_audit_clean()  # and afterwards the gateway's refund is Souk's, ref for ref
