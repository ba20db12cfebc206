"""Deploy defaults (docs/operations.md, Deploying): Souk does not start with its public development
SECRET_KEY outside development, `SOUK_HTTPS=1` turns on Secure cookies, HTTPS redirect and HSTS, and
`souk check --deploy` is clean with the production environment the docs list."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from souk.core.management.commands.serve import is_loopback

REPO = Path(__file__).resolve().parents[2]
# Everything Souk reads from the environment is left out: each test says what it sets.
CLEAN = {k: v for k, v in os.environ.items()
         if not k.startswith("SOUK_")
         and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}  # test harness only


def run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=180,
                          env={**CLEAN, "DJANGO_SETTINGS_MODULE": "souk.settings", "SOUK_VAR_DIR": str(tmp_path),
                               **env})


def settings_of(env: dict[str, str], tmp_path: Path) -> dict:
    done = run(["-c", textwrap.dedent("""
        import json
        from django.conf import settings
        print(json.dumps({name: getattr(settings, name, None) for name in (
            "SECRET_KEY", "DEV_SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
            "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
            "SECURE_PROXY_SSL_HEADER")}))
    """)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def production_environment() -> dict[str, str]:
    """The variables docs/operations.md lists for production, with a real secret for its placeholder."""
    doc = (REPO / "docs" / "operations.md").read_text()
    block = doc.split("<!-- production-env:start -->")[1].split("<!-- production-env:end -->")[0]
    env = dict(re.findall(r"^([A-Z_]+)=(\S+)", block, flags=re.M))
    assert {"SOUK_SECRET_KEY", "SOUK_ALLOWED_HOSTS", "SOUK_HTTPS"} <= set(env)
    return {**env, "SOUK_SECRET_KEY": secrets.token_urlsafe(50)}


def test_souk_check_deploy_is_clean_with_the_production_environment_the_docs_list(tmp_path):
    done = run(["-m", "souk.cli", "check", "--deploy", "--fail-level", "WARNING"], production_environment(),
               tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout, done.stdout + done.stderr


def test_souk_refuses_to_start_without_a_secret_key_outside_development(tmp_path):
    done = run(["-m", "souk.cli", "check"], {"SOUK_ALLOWED_HOSTS": "souk.example.com"}, tmp_path)
    assert done.returncode != 0
    assert "SOUK_SECRET_KEY is not set" in done.stderr


@pytest.mark.parametrize("dev", [{"SOUK_DEV": "1"}, {"SOUK_DEBUG": "1"}])
def test_a_development_machine_runs_with_the_development_key_and_check_deploy_flags_it(tmp_path, dev):
    values = settings_of(dev, tmp_path)
    assert values["SECRET_KEY"] == values["DEV_SECRET_KEY"]
    done = run(["-m", "souk.cli", "check", "--deploy"], dev, tmp_path)
    assert "security.W009" in done.stdout + done.stderr


def test_souk_https_turns_on_secure_cookies_redirect_and_hsts(tmp_path):
    base = {"SOUK_SECRET_KEY": secrets.token_urlsafe(50)}
    plain = settings_of(base, tmp_path)
    assert not any(plain[k] for k in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
                                      "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"))
    https = settings_of({**base, "SOUK_HTTPS": "1"}, tmp_path)
    assert https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"] and https["SECURE_SSL_REDIRECT"]
    assert https["SECURE_HSTS_SECONDS"] == 31_536_000
    assert https["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and https["SECURE_HSTS_PRELOAD"]
    assert https["SECURE_PROXY_SSL_HEADER"] is None  # trusted only when asked for
    proxied = settings_of({**base, "SOUK_HTTPS": "1", "SOUK_TRUST_X_FORWARDED_PROTO": "1"}, tmp_path)
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_allowed_hosts_come_from_souk_allowed_hosts(tmp_path):
    values = settings_of({"SOUK_DEV": "1", "SOUK_ALLOWED_HOSTS": "souk.example.com, www.souk.example.com,"},
                         tmp_path)
    assert values["ALLOWED_HOSTS"] == ["souk.example.com", "www.souk.example.com"]


def test_souk_serve_with_the_development_key_listens_on_loopback_only(settings):
    settings.SECRET_KEY, settings.DEBUG = settings.DEV_SECRET_KEY, False
    with pytest.raises(CommandError, match="development SECRET_KEY"):
        call_command("serve", bind="0.0.0.0:8000")


@pytest.mark.parametrize(("bind", "loopback"), [
    ("127.0.0.1:8000", True), ("localhost:8000", True), ("[::1]:8000", True), ("::1", True),
    ("127.0.0.2", True), ("unix:/run/souk.sock", True),
    ("0.0.0.0:8000", False), (":8000", False), ("[::]:8000", False), ("192.168.1.5:80", False),
    ("souk.example.com:80", False),
])
def test_what_counts_as_loopback_for_souk_serve(bind, loopback):
    assert is_loopback(bind) is loopback
