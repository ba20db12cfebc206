"""Readiness for a load balancer: may this process take traffic? (docs/operations.md, Health.)

`/healthz` only says the process answers (restart it if not); `/readyz` says it can do its work:
the database answers, every migration on disk is applied to it (a node of a newer release started
before `souk migrate` is not ready), and the cache answers (the shared login limits live there).
Each check is bounded by the database's connect timeout and the cache client's timeouts, and a
failing one names itself in the answer, which is 503 then.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger("souk.health")

_MIGRATED: set[str] = set()  # aliases whose migrations were all applied: stays true for this process's code


def _failed(what: str, exc: Exception) -> str:
    """The public reason names the check and the error's class; the error's text (hosts, ports, users)
    goes to the log only, since anyone who can reach /readyz reads its answer."""
    logger.warning("readiness: %s: %s: %s", what, exc.__class__.__name__, exc)
    return f"{what}: {exc.__class__.__name__}"


def _database(alias: str = DEFAULT_DB_ALIAS) -> str | None:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        connection.close_if_unusable_or_obsolete()
        return _failed("database unreachable", exc)
    return None


def _migrations(alias: str = DEFAULT_DB_ALIAS) -> str | None:
    if alias in _MIGRATED:
        return None
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connections[alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return _failed("migrations unknown", exc)
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        return f"{len(plan)} migration(s) not applied: {names}{' …' if len(plan) > 5 else ''}"
    _MIGRATED.add(alias)
    return None


def _cache() -> str | None:
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception as exc:
        return _failed("cache unreachable", exc)
    return None if ok else "cache did not keep a value"


def readiness() -> tuple[bool, dict]:
    """(ready, the JSON answer): every check's result, and the reasons it is not ready."""
    started = time.perf_counter()
    checks: dict[str, str] = {}
    reasons: list[str] = []
    database = _database()
    checks["database"] = "ok" if database is None else "failed"
    if database is None:
        migrations = _migrations()
        checks["migrations"] = "ok" if migrations is None else "failed"
    else:
        migrations = None
        checks["migrations"] = "unknown"
    cache_problem = _cache()
    checks["cache"] = "ok" if cache_problem is None else "failed"
    reasons = [r for r in (database, migrations, cache_problem) if r]
    body = {"status": "ready" if not reasons else "unavailable", "checks": checks,
            "seconds": round(time.perf_counter() - started, 4)}
    if reasons:
        body["reasons"] = reasons
    return not reasons, body
