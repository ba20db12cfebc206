"""PostgreSQL plumbing for the benchmarks: databases, and pgbench as the yardstick."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from urllib.parse import urlparse, urlunparse

import psycopg


def with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + name))


def conninfo(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def recreate_database(admin_url: str, name: str) -> str:
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_version(url: str) -> str:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def pgbench_tps(admin_url: str, *, clients: int = 8, threads: int = 2, seconds: int = 20, scale: int = 8) -> float:
    """TPC-B-like tps (pgbench's default script) on a fresh database of the same server."""
    if not shutil.which("pgbench"):
        raise SystemExit("pgbench is missing: `make test` (scripts/ensure-system-packages) installs postgresql-client")
    name = f"souk_bench_pgbench_{os.getpid()}"  # per run: two people benchmarking never collide
    url = recreate_database(admin_url, name)
    parts = urlparse(url)
    base = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), *base, name], check=True,
                   capture_output=True)
    out = subprocess.run(["pgbench", "-c", str(clients), "-j", str(threads), "-T", str(seconds), *base,
                          name], check=True, capture_output=True, text=True).stdout
    drop_database(admin_url, name)
    match = re.search(r"tps = ([\d.]+) \((?:without|excluding)", out)
    if not match:
        raise RuntimeError(f"could not read pgbench's tps:\n{out}")
    return float(match.group(1))
