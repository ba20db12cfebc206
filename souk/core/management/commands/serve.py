"""`souk serve`: the web server (gunicorn, static files via whitenoise) and the worker, together.

Stops both when either exits or on Ctrl+C / SIGTERM. With the public development SECRET_KEY
(SOUK_DEV=1, no SOUK_SECRET_KEY) it serves only on a loopback address, unless SOUK_DEBUG=1
(docs/operations.md, Deploying).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def is_loopback(bind: str) -> bool:
    """Does gunicorn's `--bind` (HOST:PORT, [IPv6]:PORT, HOST, unix:PATH) listen on this machine only?"""
    if bind.startswith(("unix:", "fd://")):
        return True
    host = bind.rsplit(":", 1)[0] if bind.count(":") == 1 or bind.startswith("[") else bind
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Command(BaseCommand):
    help = "Serve Souk: gunicorn web server + background worker, until Ctrl+C."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("SOUK_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=int(os.environ.get("SOUK_WEB_WORKERS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="serve the web only")

    def handle(self, *args, bind: str, web_workers: int, no_worker: bool, **options):
        if settings.SECRET_KEY == settings.DEV_SECRET_KEY and not settings.DEBUG and not is_loopback(bind):
            raise CommandError(f"Refusing to serve on {bind} with the public development SECRET_KEY: set "
                               "SOUK_SECRET_KEY, or bind to 127.0.0.1 (docs/operations.md, Deploying).")
        bin_dir = os.path.dirname(sys.executable)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "souk.settings"}
        # /metrics adds up every gunicorn worker's request metrics (docs/operations.md, Metrics).
        own_metrics_dir = None
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            own_metrics_dir = env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="souk-prometheus-")
        procs: list[subprocess.Popen] = [subprocess.Popen(
            [os.path.join(bin_dir, "gunicorn"), "souk.wsgi:application", "--bind", bind,
             "--workers", str(web_workers), "--threads", "4", "--access-logfile", "-"], env=env)]
        if not no_worker:
            procs.append(subprocess.Popen([sys.executable, "-m", "souk.cli", "worker"], env=env))
        self.stdout.write(self.style.SUCCESS(f"Souk is starting at http://{bind}/ (web + worker). Ctrl+C stops."))

        def stop(*_):
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if own_metrics_dir:
            shutil.rmtree(own_metrics_dir, ignore_errors=True)
        code = max((p.returncode or 0) for p in procs)
        if code:
            sys.exit(code)
