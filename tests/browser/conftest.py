"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server,
with the background worker (`souk worker --batch` in a loop) running for real beside it.

SQLite: the live server, the worker thread and the test share the database, so the
test database is a file here (an in-memory one cannot be shared between connections
safely). PostgreSQL is shared already.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.support import run_worker_once

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

if not settings.IS_POSTGRES:
    _test = settings.DATABASES["default"].setdefault("TEST", {})
    if not _test.get("NAME") or ":memory:" in str(_test.get("NAME")) or "mode=memory" in str(_test.get("NAME")):
        _test["NAME"] = str(Path(tempfile.mkdtemp(prefix="souk-browser-")) / "test.sqlite3")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-system-packages (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def fast_refunds(settings):
    """Sandbox refunds settle as soon as they are polled; the worker polls every second."""
    settings.SOUK = {**settings.SOUK, "SANDBOX_REFUND_SETTLE_SECONDS": 0, "REFUND_POLL_SECONDS": 1,
                     "REFUND_RETRY_BASE_SECONDS": 1}


@pytest.fixture
def worker(transactional_db, fast_refunds):
    """The background worker, for real, in a thread beside the live server."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def loop():
        try:
            while not stop.is_set():
                run_worker_once()
                stop.wait(0.3)
        except BaseException as exc:  # surfaced by the fixture, not lost in the thread
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, name="souk-test-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)
    if failures:
        raise failures[0]


class Shots:
    """Saves each journey step: docs/screenshots/ when SOUK_SCREENSHOTS=1, else a tmp dir."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, name: str, *, full_page: bool = True) -> Path:
        path = self.directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(tmp_path):
    if os.environ.get("SOUK_SCREENSHOTS") == "1":
        return Shots(SCREENSHOTS)
    return Shots(tmp_path / "screenshots")


@pytest.fixture
def new_page(chromium, live_server):
    """new_page(java_script_enabled=True, phone=False) -> a page in its own browser context (own cookies)."""
    contexts = []

    def make(*, java_script_enabled: bool = True, phone: bool = False):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        context = chromium.new_context(java_script_enabled=java_script_enabled, viewport=viewport,
                                       base_url=live_server.url, locale="en-US", timezone_id="UTC")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def log_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
