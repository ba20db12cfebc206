"""Souk on many machines, proved on loopback: 2 web processes, 2 workers, one PostgreSQL, one Redis.

Real processes against the test database (docs/operations.md, Many machines): gunicorn on two ports
(A with PROMETHEUS_MULTIPROC_DIR, B without) and two `souk worker`s, all with REDIS_URL. Buyers drive a
mixed load over the HTTP API with tokens, spread over both ports the way a balancer would (a request
that cannot connect is sent to the other port): checkout, pay, a cancellation request, the seller's
approval, messages. Worker 1 is made to stall inside every refund it starts; once it holds a RUNNING
task it is SIGKILLed, and so is web process B (master and worker) while the load runs. Half-way the
payment windows and the sellers' answer windows are moved into the past, so the workers' sweeps
process deadlines while the processes die; after the load, the rest.

Then: every deadline processed once (one cancellation, one cancelled event per order, every request
answered once), every refund settled once (one refund at the processor, the ledger moved once), the
task worker 1 died in reaped (FAILED, WorkerLost) and none left RUNNING, the login throttle shared by
both web processes (failures on A lock the account on B), `souk audit` clean and its result on
/metrics, /metrics showing the figures, and /readyz 503 with the reason on a third web process whose
database is unreachable while A's is 200.

Needs Redis (SOUK_TEST_REDIS_URL, default redis://127.0.0.1:6379/5): skipped when it does not answer,
failed instead when SOUK_REQUIRE_POSTGRES=1 (CI).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.utils import timezone

from souk.accounts.tokens import token_create
from souk.cancellations.models import Cancellation, CancellationRequest
from souk.core.models import AuditRecord, WorkerHeartbeat
from souk.core.workers import WORKER_LOST
from souk.ledger.models import JournalEntry
from souk.orders.models import Order, OrderEvent
from souk.orders.status import Status
from souk.payments.models import Refund, SandboxRefund
from tests.factories import (
    AddressFactory,
    ProductFactory,
    ShippingOptionFactory,
    ShippingRateFactory,
    UserFactory,
)
from tests.payments.test_pay_crash import _alive, _children, _free_port
from tests.payments.test_worker_crash import _wait_for
from tests.support import spawn

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SOUK_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
BUYERS = 6
ROUNDS = 4  # per buyer and phase: each round one order, its fate picked by the round
PASSWORD = "correct horse battery"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        if os.environ.get("SOUK_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}) and SOUK_REQUIRE_POSTGRES=1")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")


def _env(prefix: str, **extra: str) -> dict[str, str]:
    parts = urlsplit(os.environ["DATABASE_URL"])
    env = dict(os.environ)
    env.pop("SOUK_TEST_DB_NAME", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update({
        "DATABASE_URL": urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"])),
        "DJANGO_SETTINGS_MODULE": "souk.settings",
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": REDIS_URL,
        "SOUK_CACHE_KEY_PREFIX": prefix,  # this run's keys only: nothing to flush, nothing shared with others
        "SOUK_LOG_LEVEL": "WARNING",
        "SOUK_METRICS_CACHE_SECONDS": "0",
        "SOUK_LOGIN_FAILURES_PER_ACCOUNT": "3",
        "SOUK_CANCELLATION_SWEEP_SECONDS": "0.3",
        "SOUK_REFUND_SWEEP_SECONDS": "0.3",
        "SOUK_REFUND_RETRY_BASE_SECONDS": "2",
        "SOUK_REFUND_POLL_SECONDS": "1",
        "SOUK_SANDBOX_REFUND_SETTLE_SECONDS": "0",
        "SOUK_WORKER_HEARTBEAT_SECONDS": "0.5",
        "SOUK_WORKER_LEASE_SECONDS": "3",
        "SOUK_TASK_REAP_SWEEP_SECONDS": "0.5",
        "SOUK_IDEMPOTENCY_LEASE_SECONDS": "2",
    })
    env.update(extra)
    return env


class Web:
    """gunicorn serving this tree's Souk on a port of its own."""

    def __init__(self, env: dict[str, str]):
        self.port = _free_port()
        self.proc = spawn(
            [sys.executable, "-m", "gunicorn", "souk.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--threads", "4", "--preload", "--timeout", "120", "--graceful-timeout", "1",
             "--log-level", "warning"],
            cwd=ROOT, env=env)

    def request(self, method: str, path: str, body=None, token: str | None = None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = {"Content-Type": "application/json", **(headers or {})}
            if token:
                hdrs["Authorization"] = f"Bearer {token}"
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdrs)
            response = conn.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        finally:
            conn.close()

    def answers(self) -> bool:
        try:
            return self.request("GET", "/healthz", timeout=5)[0] == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the gunicorn master and its worker: the whole web process is gone."""
        children = _children(self.proc.pid)
        self.proc.send_signal(signal.SIGKILL)
        for pid in children:
            os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        _wait_for(lambda: not any(_alive(pid) for pid in children), seconds=10, what="gunicorn's worker to die")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return spawn([sys.executable, "-m", "souk.cli", "worker", "--sweep-interval", "0.2", "--interval", "0.1"],
                 cwd=ROOT, env=env)


class Balancer:
    """Sends each request to the port the caller prefers; one that cannot connect goes to another live port."""

    def __init__(self, webs: list[Web]):
        self.webs = webs
        self.sent = Counter()

    def call(self, prefer: int, method: str, path: str, body=None, token=None, headers=None):
        """The answer; a twin of a request that died on a killed process is retried until its key's lease ends."""
        for _ in range(20):
            status, body_out = self._call(prefer, method, path, body, token, headers)
            if status != 409 or not isinstance(body_out, dict) or body_out.get("code") != "idempotency_request_in_flight":
                return status, body_out
            time.sleep(0.5)
        return status, body_out

    def _call(self, prefer: int, method: str, path: str, body=None, token=None, headers=None):
        order = self.webs[prefer % len(self.webs):] + self.webs[:prefer % len(self.webs)]
        last: Exception | None = None
        for web in order:
            try:
                status, raw, _ = web.request(method, path, body, token, headers)
            except (OSError, http.client.HTTPException) as exc:  # refused, reset, or cut mid-answer (IncompleteRead)
                last = exc
                continue
            self.sent[web.port] += 1
            return status, (json.loads(raw) if raw and raw[:1] in b"{[" else raw)
        raise AssertionError(f"no web process answered {method} {path}: {last!r}")


def _move_deadlines_into_the_past() -> None:
    """What the clock does in a day or two: unpaid orders' payment windows and sellers' answer windows end."""
    past = timezone.now() - timedelta(seconds=1)
    Order.objects.filter(status=Status.AWAITING_PAYMENT).update(pay_by=past)
    CancellationRequest.objects.filter(state=CancellationRequest.State.PENDING).update(respond_by=past)


def _load(balancer: Balancer, buyers, seller_token: str, product_id: int, store_id: int, option_id: int,
          phase: str, errors: list) -> None:
    def buyer_loop(index: int, token: str, address_id: int) -> None:
        try:
            for round_ in range(ROUNDS):
                prefer = index + round_
                status, body = balancer.call(prefer, "POST", "/api/checkout", {
                    "address_id": address_id, "lines": [{"product_id": product_id, "quantity": 1}],
                    "shipping": {str(store_id): option_id}}, token)
                assert status == 201, (status, body)
                number = body["orders"][0]["number"]
                fate = (index + round_) % 4
                if fate == 0:
                    continue  # left unpaid: its payment window ends
                key = f"{phase}-{number}"
                status, body = balancer.call(prefer + 1, "POST", f"/api/orders/{number}/pay",
                                             {"method": "card", "token": "tok_visa"}, token,
                                             {"Idempotency-Key": f"pay-{key}"})
                if status != 201:
                    continue  # its payment window was moved into the past meanwhile: the sweep won
                status, body = balancer.call(prefer, "POST", f"/api/orders/{number}/messages",
                                             {"body": f"Hello about {number}"}, token)
                assert status in (200, 201), (status, body)
                if fate == 3:
                    continue  # paid and kept
                status, body = balancer.call(prefer + 1, "POST", f"/api/orders/{number}/cancel",
                                             {"reason": "changed_mind"}, token, {"Idempotency-Key": f"cancel-{key}"})
                assert status == 200, (status, body)
                if fate == 1:  # the seller approves; fate 2 waits for the answer window to end
                    status, body = balancer.call(prefer, "POST",
                                                 f"/api/seller/orders/{number}/cancellation-request/approve",
                                                 None, seller_token, {"Idempotency-Key": f"approve-{key}"})
                    assert status < 500, (status, body)  # a 4xx when the answer window ended first
        except BaseException as exc:  # reported by the test, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=buyer_loop, args=b) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


def test_two_web_processes_and_two_workers_share_limits_and_survive_a_killed_worker_and_web_process():
    _redis_or_skip()
    seller = UserFactory()
    product = ProductFactory(price_minor=2000, stock=10_000, store__owner=seller)
    option = ShippingOptionFactory(store=product.store)
    ShippingRateFactory(option=option, cost_minor=300)  # $23.00 an order: no sandbox refund trick amount
    buyers = []
    for i in range(BUYERS):
        user = UserFactory()
        buyers.append((i, token_create(user=user, name="load")[1], AddressFactory(user=user).pk))
    seller_token = token_create(user=seller, name="load")[1]
    locked, control = UserFactory(), UserFactory()

    prefix = f"t{uuid.uuid4().hex[:12]}"
    multiproc = tempfile.mkdtemp(prefix="souk-prom-")
    web_a = Web(_env(prefix, PROMETHEUS_MULTIPROC_DIR=multiproc))
    web_b = Web(_env(prefix))
    no_db = Web(_env(prefix, DATABASE_URL=f"postgres://postgres@127.0.0.1:{_free_port()}/nowhere",
                     SOUK_DB_CONNECT_TIMEOUT="2"))
    # Worker 1 stalls inside every refund it starts, so it is surely holding a task when it is killed.
    worker_1 = _worker(_env(prefix, SOUK_SANDBOX_REFUND_LATENCY_BEFORE_SECONDS="300"))
    worker_2 = _worker(_env(prefix))
    webs, workers = [web_a, web_b, no_db], [worker_1, worker_2]
    try:
        for web in webs:
            _wait_for(web.answers, seconds=90, what=f"gunicorn on {web.port}", procs=[web.proc])
        _wait_for(lambda: WorkerHeartbeat.objects.count() == 2, seconds=60, what="both workers' heartbeats",
                  procs=workers)

        # /readyz: A is ready; the web process whose database is unreachable says so, honestly, while
        # it is still alive (/healthz).
        status, raw, _ = web_a.request("GET", "/readyz")
        assert status == 200 and json.loads(raw)["checks"] == {"database": "ok", "migrations": "ok", "cache": "ok"}
        status, raw, _ = no_db.request("GET", "/readyz")
        body = json.loads(raw)
        assert status == 503 and body["status"] == "unavailable" and body["checks"]["database"] == "failed"
        assert body["checks"]["cache"] == "ok" and "database unreachable" in body["reasons"][0]
        assert no_db.request("GET", "/healthz")[0] == 200

        # The login throttle is one count for both processes: 3 failures on A lock the account on B.
        for _ in range(3):
            status, _, _ = web_a.request("POST", "/api/auth/token", {"email": locked.email, "password": "wrong"})
            assert status == 401, status
        status, raw, headers = web_b.request("POST", "/api/auth/token", {"email": locked.email, "password": PASSWORD})
        assert status == 429 and json.loads(raw)["code"] == "too_many_attempts" and "Retry-After" in headers
        status, raw, _ = web_b.request("POST", "/api/auth/token", {"email": control.email, "password": PASSWORD})
        assert status == 201, raw  # the right password, not locked: B itself works

        balancer = Balancer([web_a, web_b])
        errors: list = []
        load = (balancer, buyers, seller_token, product.pk, product.store_id, option.pk)
        _load(*load, "one", errors)
        assert not errors, errors
        assert balancer.sent[web_a.port] and balancer.sent[web_b.port]

        # Deadlines end while the second phase runs and while a worker and a web process die.
        _move_deadlines_into_the_past()
        second = threading.Thread(target=_load, args=(*load, "two", errors))
        second.start()
        worker_1_id = WorkerHeartbeat.objects.get(pid=worker_1.pid).worker_id
        from django_tasks_db.models import DBTaskResult

        stuck = _wait_for(lambda: DBTaskResult.objects.filter(status="RUNNING",
                                                              worker_ids__contains=[worker_1_id]).first(),
                          seconds=60, what="worker 1 to hold a running task", procs=workers)
        worker_1.send_signal(signal.SIGKILL)
        assert worker_1.wait(timeout=10) == -signal.SIGKILL
        web_b.kill()
        second.join(timeout=150)
        assert not second.is_alive() and not errors, errors
        _move_deadlines_into_the_past()

        # The surviving worker finishes everything: deadlines, refunds, the dead worker's task.
        def settled():
            return (not Order.objects.filter(status=Status.AWAITING_PAYMENT).exists()
                    and not CancellationRequest.objects.filter(state="pending").exists()
                    and not Refund.objects.exclude(state="succeeded").exists()
                    and not DBTaskResult.objects.filter(status="RUNNING").exists())

        _wait_for(settled, seconds=90, what="every deadline and refund to be processed", procs=[worker_2])
        stuck.refresh_from_db()
        assert stuck.status == "FAILED" and stuck.exception_class_path == WORKER_LOST

        audit = subprocess.run([sys.executable, "-m", "souk.cli", "audit"], cwd=ROOT, env=_env(prefix),
                               capture_output=True, text=True, timeout=120)
        assert audit.returncode == 0 and "audit clean" in audit.stdout, audit.stderr[-3000:]
        status, raw, _ = web_a.request("GET", "/metrics")
        metrics = raw.decode()
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
        for web in webs:
            web.stop()

    # Every deadline processed once: one cancellation and one "cancelled" event per cancelled order.
    cancelled = Order.objects.filter(status=Status.CANCELLED)
    assert cancelled.filter(cancellations__reason="payment_not_completed").exists()
    per_order = Counter(Cancellation.objects.values_list("order_id", flat=True))
    assert per_order and max(per_order.values()) == 1
    assert set(per_order) == set(cancelled.values_list("id", flat=True))
    events = Counter(OrderEvent.objects.filter(to_status=Status.CANCELLED).values_list("order_id", flat=True))
    assert events == per_order
    answered = CancellationRequest.objects.values_list("state", flat=True)
    assert set(answered) <= {"approved", "auto_approved"} and "auto_approved" in set(answered)
    assert Counter(Cancellation.objects.filter(request__isnull=False).values_list("request_id", flat=True)) \
        == Counter({pk: 1 for pk in CancellationRequest.objects.values_list("id", flat=True)})

    # Every refund settled once: one per cancelled paid order, one at the processor, the ledger moved once.
    refunds = list(Refund.objects.all())
    assert refunds and all(r.state == "succeeded" and r.gateway_ref for r in refunds)
    assert max(Counter(r.order_id for r in refunds).values()) == 1
    assert SandboxRefund.objects.count() == len(refunds)
    assert sorted(SandboxRefund.objects.values_list("idempotency_key", flat=True)) == sorted(
        f"refund-{r.pk}" for r in refunds)
    for refund in refunds:
        assert sorted(JournalEntry.objects.filter(refund_id=refund.pk).values_list("kind", flat=True)) == [
            "refund_settle", "refund_start"]

    # /metrics (port A, multiprocess mode) shows the figures: latency per route, business counts, the audit.
    assert status == 200
    assert re.search(r'souk_http_request_duration_seconds_count\{method="POST",route="[^"]*checkout[^"]*",'
                     r'status="2xx"\} [1-9]', metrics), metrics[:3000]
    assert f'souk_orders{{status="cancelled"}} {float(cancelled.count())}' in metrics
    assert f'souk_refunds{{state="succeeded"}} {float(len(refunds))}' in metrics
    assert 'souk_deadlines_due{sweep="payment_window_expired"} 0.0' in metrics
    assert 'souk_deadlines_due{sweep="cancellation_requests_due"} 0.0' in metrics
    assert re.search(r'souk_cancellations\{actor="system",fault="buyer",reason="payment_not_completed"\} [1-9]',
                     metrics)
    assert 'souk_tasks{queue="default",state="running"}' not in metrics
    assert "souk_audit_clean 1.0" in metrics and "souk_audit_findings 0.0" in metrics
    assert AuditRecord.objects.filter(clean=True).exists()
    assert list(itertools.islice((line for line in metrics.splitlines() if "souk_workers_alive" in line), 3))
