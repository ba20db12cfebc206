"""Guessing passwords does not work: after a few wrong passwords an account (and, separately, a client
address) is locked out for a while, and even the right password is refused with 429 and Retry-After until
the lockout ends, on every way in: the login page, the API's token endpoint and the admin (docs/api.md,
Limits; docs/operations.md, The cache)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse

from souk.accounts.models import PersonalAccessToken, User
from tests.accounts.conftest import PASSWORD
from tests.factories import UserFactory

WRONG = "not the password at all"


def _api_login(email: str, password: str, client_address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=client_address).post(
        "/api/auth/token", data={"email": email, "password": password}, content_type="application/json")


def _page_login(client: Client, email: str, password: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def _assert_refused_with_retry_after(response) -> int:
    assert response.status_code == 429, response.content
    wait = int(response["Retry-After"])
    assert 0 < wait <= 900
    return wait


def test_forty_wrong_passwords_then_the_right_one_is_refused_by_the_api_with_429(alice):
    answers = {_api_login("alice@example.com", WRONG).status_code for _ in range(40)}

    right = _api_login("alice@example.com", PASSWORD)

    assert answers == {401, 429}
    _assert_refused_with_retry_after(right)
    body = right.json()
    assert body["code"] == "too_many_attempts"
    assert "Try again in" in body["message"]
    assert not PersonalAccessToken.objects.filter(user=alice).exists()


def test_forty_wrong_passwords_then_the_right_one_on_the_login_page_shows_why_and_answers_429(alice):
    browser = Client()
    for _ in range(40):
        _page_login(browser, "alice@example.com", WRONG)

    response = _page_login(browser, "alice@example.com", PASSWORD)

    _assert_refused_with_retry_after(response)
    html = response.content.decode()
    assert "Too many failed attempts to log in" in html
    assert 'name="username"' in html  # the form is still there, with the message on it
    assert not response.context["user"].is_authenticated
    assert browser.get(reverse("accounts:profile")).status_code == 302


def test_forty_wrong_passwords_then_the_right_one_on_the_admin_login_does_not_let_staff_in(db):
    User.objects.create_superuser("root@example.com", PASSWORD)
    browser = Client()
    for _ in range(40):
        browser.post(reverse("admin:login"), {"username": "root@example.com", "password": WRONG})

    response = browser.post(reverse("admin:login"), {"username": "root@example.com", "password": PASSWORD})

    _assert_refused_with_retry_after(response)
    assert "Too many failed attempts to log in" in response.content.decode()
    assert browser.get(reverse("admin:index")).status_code == 302  # still the login page


def test_guesses_spread_over_many_addresses_still_lock_the_account(alice, mallory):
    for i in range(40):
        _api_login("alice@example.com", WRONG, client_address=f"198.51.100.{i + 1}")

    _assert_refused_with_retry_after(_api_login("alice@example.com", PASSWORD, client_address="192.0.2.200"))
    # another account is not locked by them
    assert _api_login("mallory@example.com", PASSWORD, client_address="198.51.100.1").status_code == 201


def test_one_address_guessing_many_accounts_is_locked_out_while_other_addresses_are_not(alice):
    for i in range(60):
        _api_login(f"guess{i}@example.com", WRONG, client_address="203.0.113.66")

    _assert_refused_with_retry_after(_api_login("alice@example.com", PASSWORD, client_address="203.0.113.66"))
    assert _api_login("alice@example.com", PASSWORD, client_address="203.0.113.67").status_code == 201


def test_one_ipv6_network_counts_as_one_address(alice):
    for i in range(60):
        _api_login(f"guess{i}@example.com", WRONG, client_address=f"2001:db8:1:2::{i + 1:x}")

    _assert_refused_with_retry_after(_api_login("alice@example.com", PASSWORD, client_address="2001:db8:1:2::ffff"))
    assert _api_login("alice@example.com", PASSWORD, client_address="2001:db8:1:3::1").status_code == 201


def test_behind_a_proxy_the_address_it_saw_is_counted_not_what_the_client_wrote(alice, settings):
    settings.SOUK = {**settings.SOUK, "TRUSTED_PROXIES": 1}

    def via_proxy(email, password, real, claimed):
        return Client(REMOTE_ADDR="10.0.0.2").post(
            "/api/auth/token", data={"email": email, "password": password}, content_type="application/json",
            headers={"X-Forwarded-For": f"{claimed}, {real}"})

    for i in range(60):  # one client, claiming a new address each time
        via_proxy(f"guess{i}@example.com", WRONG, real="203.0.113.99", claimed=f"192.0.2.{i + 1}")

    assert via_proxy("alice@example.com", PASSWORD, real="203.0.113.99", claimed="192.0.2.250").status_code == 429
    assert via_proxy("alice@example.com", PASSWORD, real="203.0.113.98", claimed="203.0.113.99").status_code == 201


def test_after_the_lockout_the_right_password_logs_in_again(alice, settings):
    settings.SOUK = {**settings.SOUK, "LOGIN_FAILURES_PER_ACCOUNT": 5, "LOGIN_FAILURE_WINDOW_SECONDS": 2,
                     "LOGIN_LOCKOUT_SECONDS": 2}
    assert [_api_login("alice@example.com", WRONG).status_code for _ in range(6)] == [401] * 5 + [429]
    refused = _api_login("alice@example.com", PASSWORD)
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 2

    time.sleep(2.2)

    assert _api_login("alice@example.com", PASSWORD).status_code == 201


def test_a_successful_login_starts_the_account_count_again(alice, settings):
    limit = settings.SOUK.get("LOGIN_FAILURES_PER_ACCOUNT", 10)
    for _ in range(3):
        for _ in range(limit - 1):
            assert _api_login("alice@example.com", WRONG).status_code == 401
        assert _api_login("alice@example.com", PASSWORD).status_code == 201


def test_the_login_page_with_a_wrong_password_still_answers_200_with_the_usual_message(alice):
    response = _page_login(Client(), "alice@example.com", WRONG)

    assert response.status_code == 200
    assert "correct email" in response.content.decode()


# --- shared by every web process -----------------------------------------------------------------


def _in_another_process(job):
    """Runs `job` in another thread: its own database connection and its own cache client, as another web
    process would have."""
    outcome: dict[str, object] = {}

    def run():
        try:
            outcome["cache"] = caches["default"]
            outcome["result"] = job()
        except Exception as exc:  # asserted on by the test
            outcome["result"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return outcome


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url():
    """A throwaway redis-server of our own (nothing else's data is touched); skipped where there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                               "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.django_db(transaction=True)
def test_a_lockout_counted_by_one_web_process_holds_in_another_with_the_database_cache(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    UserFactory(email="alice@example.com", password=PASSWORD)
    for _ in range(40):
        _api_login("alice@example.com", WRONG)

    outcome = _in_another_process(lambda: _api_login("alice@example.com", PASSWORD))

    assert outcome["cache"] is not caches["default"]
    _assert_refused_with_retry_after(outcome["result"])


@pytest.mark.django_db(transaction=True)
def test_a_lockout_counted_by_one_web_process_holds_in_another_with_redis(settings, redis_url):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    UserFactory(email="alice@example.com", password=PASSWORD)
    for _ in range(40):
        _api_login("alice@example.com", WRONG)

    outcome = _in_another_process(lambda: _api_login("alice@example.com", PASSWORD))

    assert outcome["cache"] is not caches["default"]
    _assert_refused_with_retry_after(outcome["result"])
    assert json.loads(outcome["result"].content)["code"] == "too_many_attempts"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_guesses_sent_at_once_get_no_more_tries_than_the_limit(settings):
    """The attempt is counted before the password is checked, so a burst of parallel guesses cannot slip
    past the count."""
    from tests.support import race

    UserFactory(email="alice@example.com", password=PASSWORD)
    limit = 10
    settings.SOUK = {**settings.SOUK, "LOGIN_FAILURES_PER_ACCOUNT": limit}

    answers = race(*[lambda i=i: _api_login("alice@example.com", WRONG, client_address=f"198.51.100.{i + 1}")
                     for i in range(25)])

    statuses = [a.status_code for a in answers]
    assert statuses.count(401) <= limit, statuses
    assert set(statuses) == {401, 429}
