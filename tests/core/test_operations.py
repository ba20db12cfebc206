"""What a balancer, a scraper and an operator see of one node (docs/operations.md, Many machines):
/healthz, /readyz, /metrics, the request id from the request into its tasks' log lines, the reaper of
tasks left RUNNING by a dead worker, and the production settings for PgBouncer."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from souk.accounts.tokens import token_create
from souk.core.models import WorkerHeartbeat
from souk.core.requestid import current_request_id, reset_request_id, set_request_id
from souk.core.workers import DEFAULTS as WORKER_DEFAULTS
from souk.core.workers import WORKER_LOST, beat, reap_stale_tasks
from souk.orders.models import Order
from tests.core.test_deploy_settings import run

SEEN_REQUEST_IDS: list[str | None] = []


@task()
def remember_request_id() -> None:
    """A task that notes the request id its log lines would carry."""
    SEEN_REQUEST_IDS.append(current_request_id())


@pytest.fixture
def fresh_metrics(settings):
    settings.METRICS_CACHE_SECONDS = 0
    settings.METRICS_TOKEN = ""


def _metrics(client, **headers) -> str:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def _checkout(client, buyer, product, **headers):
    raw = token_create(user=buyer, name="t")[1]
    option = product.store.shipping_options.get()
    response = client.post("/api/checkout", json.dumps({
        "address_id": buyer.addresses.get().pk, "lines": [{"product_id": product.pk, "quantity": 1}],
        "shipping": {str(product.store_id): option.pk}}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}", **headers)
    assert response.status_code == 201, response.content
    return response


def test_healthz_says_the_process_is_up_without_asking_the_database(client):
    response = client.get("/healthz")  # no database access is allowed in this test: a query would fail it
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ready_when_the_database_the_migrations_and_the_cache_are(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_readyz_answers_503_with_the_reason_when_the_cache_is_unreachable(client, settings, unused_tcp_port,
                                                                          caplog):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{unused_tcp_port}/0",
                                   "OPTIONS": {"socket_connect_timeout": 1}}}
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "unavailable"
    assert body["checks"] == {"database": "ok", "migrations": "ok", "cache": "failed"}
    assert body["reasons"][0].startswith("cache unreachable")
    # where the cache lives is for the log, not for whoever asks /readyz
    assert str(unused_tcp_port) not in response.content.decode()
    assert any("cache unreachable" in r.getMessage() for r in caplog.records if r.name == "souk.health")


@pytest.fixture
def unused_tcp_port() -> int:
    from tests.payments.test_pay_crash import _free_port

    return _free_port()


@pytest.mark.django_db
def test_metrics_need_the_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


@pytest.mark.django_db(transaction=True)  # the worker closes its connection, as a real one does
def test_metrics_show_orders_overdue_deadlines_queued_tasks_and_the_last_audit(client, buyer, product,
                                                                               fresh_metrics):
    _checkout(client, buyer, product)
    Order.objects.update(pay_by=timezone.now() - timedelta(minutes=1))
    call_command("audit")
    text = _metrics(client)
    assert 'souk_orders{status="awaiting_payment"} 1.0' in text
    assert 'souk_deadlines_due{sweep="payment_window_expired"} 1.0' in text
    assert 'souk_deadlines_due{sweep="refunds_due"} 0.0' in text
    # The payment-window timer is a task scheduled for the (old) deadline: not ready yet.
    assert 'souk_tasks{queue="default",state="scheduled"} 1.0' in text
    assert "souk_audit_clean 1.0" in text and "souk_audit_findings 0.0" in text
    assert "souk_metrics_business_up 1.0" in text
    # Latency by route: the URL's name, never the path with the order number in it.
    assert re.search(r'souk_http_request_duration_seconds_count\{method="POST",route="api:post_checkout",'
                     r'status="2xx"\} [1-9]', text)

    call_command("worker", batch=True, verbosity=0)  # the sweep cancels the overdue order
    text = _metrics(client)
    assert 'souk_deadlines_due{sweep="payment_window_expired"} 0.0' in text
    assert 'souk_cancellations{actor="system",fault="buyer",reason="payment_not_completed"} 1.0' in text


@pytest.mark.django_db
def test_business_figures_are_shared_through_the_cache_between_scrapes(client, buyer, product, settings):
    settings.METRICS_CACHE_SECONDS = 60
    settings.METRICS_TOKEN = ""
    cache.delete("metrics:business:v1")
    assert "souk_orders{" not in _metrics(client)
    _checkout(client, buyer, product)
    assert "souk_orders{" not in _metrics(client)  # the figures of a minute ago, from any node
    cache.delete("metrics:business:v1")
    assert 'souk_orders{status="awaiting_payment"} 1.0' in _metrics(client)


@pytest.mark.django_db
def test_a_request_id_is_answered_and_a_bad_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234.abc")["X-Request-ID"] == "lb-1234.abc"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


@pytest.mark.django_db(transaction=True)  # the worker closes its connection, as a real one does
def test_tasks_enqueued_by_a_request_carry_its_id_to_the_worker(client, buyer, product):
    _checkout(client, buyer, product, HTTP_X_REQUEST_ID="req-checkout-1")
    rows = list(DBTaskResult.objects.values_list("args_kwargs", flat=True))
    assert rows and all(r["request_id"] == "req-checkout-1" for r in rows)

    token = set_request_id("req-42")
    try:
        result = remember_request_id.enqueue()
    finally:
        reset_request_id(token)
    assert DBTaskResult.objects.get(id=result.id).args_kwargs["request_id"] == "req-42"
    SEEN_REQUEST_IDS.clear()
    remember_request_id.enqueue()  # outside any request: no id
    call_command("db_worker", batch=True, interval=0, reload=False, startup_delay=False, verbosity=0)
    assert sorted(SEEN_REQUEST_IDS, key=str) == sorted(["req-42", None], key=str)
    assert current_request_id() is None  # the worker's own lines after the task carry none


def _running(worker_id: str, started_ago: timedelta) -> DBTaskResult:
    result = remember_request_id.enqueue()
    DBTaskResult.objects.filter(id=result.id).update(status="RUNNING", worker_ids=[worker_id],
                                                     started_at=timezone.now() - started_ago)
    return DBTaskResult.objects.get(id=result.id)


@pytest.mark.django_db
def test_the_reaper_fails_the_tasks_of_dead_workers_once_and_leaves_live_ones_running():
    beat("alive")
    beat("dead")
    WorkerHeartbeat.objects.filter(worker_id="dead").update(seen_at=timezone.now() - timedelta(minutes=5))
    of_dead = _running("dead", timedelta(minutes=6))
    of_alive = _running("alive", timedelta(minutes=6))
    unknown_recent = _running("plain-db-worker", timedelta(minutes=1))
    unknown_old = _running("plain-db-worker", timedelta(hours=2))

    assert reap_stale_tasks() == 2
    assert reap_stale_tasks() == 0  # idempotent: a second reaper (another worker) finds nothing
    states = {r.id: (r.status, r.exception_class_path) for r in DBTaskResult.objects.all()}
    assert states[of_dead.id] == ("FAILED", WORKER_LOST)
    assert states[unknown_old.id] == ("FAILED", WORKER_LOST)
    assert states[of_alive.id] == ("RUNNING", "")
    assert states[unknown_recent.id] == ("RUNNING", "")
    assert "worker dead last seen" in DBTaskResult.objects.get(id=of_dead.id).traceback


def test_pgbouncer_and_connection_settings_come_from_the_environment(tmp_path):
    done = run(["-c", textwrap.dedent("""
        import json
        from django.conf import settings
        d = settings.DATABASES
        print(json.dumps({"default": {k: d["default"].get(k) for k in (
                              "DISABLE_SERVER_SIDE_CURSORS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OPTIONS")},
                          "replica": d["replica"]["NAME"], "session": settings.SESSION_ENGINE}))
    """)], {"SOUK_DEV": "1", "DATABASE_URL": "postgres://souk@pgbouncer:6432/souk", "SOUK_PGBOUNCER": "1",
            "SOUK_CONN_MAX_AGE": "0", "SOUK_DB_CONNECT_TIMEOUT": "3",
            "DATABASE_REPLICA_URL": "postgres://souk@replica:5432/souk_ro", "SOUK_SESSION_STORE": "cached_db"},
        tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["default"] == {"DISABLE_SERVER_SIDE_CURSORS": True, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True,
                               "OPTIONS": {"connect_timeout": 3}}
    assert seen["replica"] == "souk_ro"
    assert seen["session"] == "django.contrib.sessions.backends.cached_db"


def test_every_environment_variable_souk_reads_is_in_the_operations_guide():
    root = Path(__file__).resolve().parents[2]
    settings_py = (root / "souk" / "settings.py").read_text()
    guide = (root / "docs" / "operations.md").read_text()
    read = set(re.findall(r'(?:os\.environ\.get|os\.environ\[|env_bool|env_int|env_list)\(?\s*"([A-Z][A-Z0-9_]+)"',
                          settings_py))
    read |= {f"SOUK_{key}" for key in WORKER_DEFAULTS}
    read |= {"PROMETHEUS_MULTIPROC_DIR"}
    assert len(read) > 40
    assert not sorted(name for name in read if f"`{name}`" not in guide and name not in guide)
