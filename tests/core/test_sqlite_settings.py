"""SQLite named by DATABASE_URL behaves like the default SQLite: WAL, BEGIN IMMEDIATE, a long busy timeout.

Without them, a second writer (the worker, while someone registers) got "database is locked"
at once instead of waiting its turn (docs/operations.md, Configuration).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SOUK_SQLITE_PATH"}}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO, env={**base, "DJANGO_SETTINGS_MODULE": "souk.settings", **env},
        capture_output=True, text=True, timeout=120,
    )


def _options(env: dict[str, str]) -> dict:
    done = _run("""
        import json
        from django.conf import settings
        print(json.dumps(settings.DATABASES["default"]["OPTIONS"]))
    """, env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_sqlite_database_url_gets_the_same_wal_immediate_and_timeout_options_as_the_default(tmp_path):
    default = _options({"SOUK_SQLITE_PATH": str(tmp_path / "default.sqlite3"), "SOUK_VAR_DIR": str(tmp_path)})
    from_url = _options({"DATABASE_URL": f"sqlite:///{tmp_path / 'url.sqlite3'}"})

    assert from_url == default
    assert from_url["transaction_mode"] == "IMMEDIATE"
    assert from_url["timeout"] >= 20
    assert "journal_mode=WAL" in from_url["init_command"]


def test_two_writers_on_a_sqlite_database_url_wait_for_each_other_instead_of_failing_locked(tmp_path):
    """The worker holds a write transaction while a registration (read, then write) comes in."""
    done = _run("""
        import threading, time
        import django
        django.setup()
        from django.db import connection, connections, transaction

        with connection.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, who TEXT)")
        connections.close_all()

        worker_writing = threading.Event()
        errors = []

        def worker():
            try:
                with transaction.atomic():
                    with connection.cursor() as cur:
                        cur.execute("INSERT INTO t (who) VALUES ('worker')")
                    worker_writing.set()
                    time.sleep(1.0)
            except Exception as exc:
                errors.append(f"worker: {exc}")
                worker_writing.set()
            finally:
                connections.close_all()

        def registration():
            try:
                worker_writing.wait()
                with transaction.atomic():
                    with connection.cursor() as cur:
                        cur.execute("SELECT count(*) FROM t")
                        cur.fetchone()
                        cur.execute("INSERT INTO t (who) VALUES ('registration')")
            except Exception as exc:
                errors.append(f"registration: {exc}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker), threading.Thread(target=registration)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        with connection.cursor() as cur:
            cur.execute("SELECT who FROM t ORDER BY id")
            rows = [r[0] for r in cur.fetchall()]
        print(errors or rows)
    """, {"DATABASE_URL": f"sqlite:///{tmp_path / 'busy.sqlite3'}"})

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['worker', 'registration']"
