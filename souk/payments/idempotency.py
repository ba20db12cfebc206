"""`Idempotency-Key` for money-moving POSTs, with the semantics payment APIs use.

- same key, same parameters: the stored response is replayed, with `Idempotent-Replayed: true`: the
  first answer's very bytes, status and content type, errors included (docs/api.md, "Idempotency");
- same key, other parameters (or another endpoint): 422 `idempotency_key_reused`;
- same key while the first request is still running: the twin waits for the first's answer (polling,
  up to `IDEMPOTENCY_WAIT_SECONDS`) and replays it; still running after that: 409
  `idempotency_request_in_flight`;
- an in-flight record is a lease of `IDEMPOTENCY_LEASE_SECONDS` (30 s): a request that died without
  answering (process killed, machine lost) cannot forget its key, so once the lease has passed the
  next request with the key takes it over and runs the operation again. That is safe because every
  operation behind a key is idempotent by itself (paying reuses the order's open payment attempt,
  a refund is found again by its key: docs/money.md);
- keys are kept `IDEMPOTENCY_KEY_TTL_HOURS` (24 h), per user.
Outcomes the client caused (2xx, 4xx) are stored and replayed; a 5xx or exception
forgets the key so the request can be retried.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from souk.core.errors import Conflict, DomainError, ValidationFailed
from souk.payments.conf import setting
from souk.payments.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 100


def openapi_header(*, required: bool) -> dict:
    """`openapi_extra` declaring the header on an operation that honours it, so clients generated from
    /api/openapi.json know it (docs/api.md, Conventions: Idempotency). `required` where `idempotent()`
    is called unconditionally (paying, refunding); the cancellation POSTs use it only when sent."""
    hours = setting("IDEMPOTENCY_KEY_TTL_HOURS")
    lease = setting("IDEMPOTENCY_LEASE_SECONDS")
    return {"parameters": [{
        "in": "header", "name": HEADER, "required": required,
        "description": "A key you choose (e.g. a UUID) that makes retrying this request safe. The same key "
                       "with the same body replays the first answer (header `Idempotent-Replayed: true`); "
                       "with another body it is 422 `idempotency_key_reused`; while the first request is "
                       "still running, 409 `idempotency_request_in_flight` (a request that died without "
                       f"answering frees its key after {lease} seconds). Keys are kept {hours} hours.",
        "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH},
    }]}


def fingerprint(scope: str, params: dict) -> str:
    canonical = json.dumps({"scope": scope, "params": params}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lease() -> timedelta:
    return timedelta(seconds=float(setting("IDEMPOTENCY_LEASE_SECONDS")))


def _lease_expired(record: IdempotencyKey, now) -> bool:
    """An in-flight record whose request has had its whole lease and not answered: presumed dead."""
    return record.status_code is None and record.created_at + _lease() <= now


def _claim(user, key: str, scope: str, digest: str) -> tuple[int | None, IdempotencyKey | None]:
    """Insert the key as in flight: (its id, None) when this request owns it now, else (None, the row).

    A record past its retention, or in flight past its lease, is deleted first: the request that
    made it is gone, so this one takes the key over (a new row, so the old request, were it still
    alive, can no longer write its answer over ours).
    """
    for _ in range(5):
        now = timezone.now()
        with transaction.atomic():
            IdempotencyKey.objects.filter(user=user, key=key).filter(
                Q(expires_at__lt=now) | Q(status_code__isnull=True, created_at__lte=now - _lease())).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        user=user, key=key, scope=scope, fingerprint=digest, created_at=now,
                        expires_at=now + timedelta(hours=setting("IDEMPOTENCY_KEY_TTL_HOURS")))
                    return record.pk, None
            except IntegrityError:
                pass
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is not None and not _lease_expired(existing, timezone.now()):
            return None, existing
        # The twin forgot the key (5xx) or its lease ran out between our insert and read: try again.
    raise Conflict("A request with this Idempotency-Key is still being processed.",
                   code="idempotency_request_in_flight")


def _await_answer(existing: IdempotencyKey) -> IdempotencyKey | None:
    """Poll the in-flight key until its request answered, at most the wait.

    None when the key is free to claim again: its request forgot it (5xx) or its lease ran out.
    """
    deadline = time.monotonic() + float(setting("IDEMPOTENCY_WAIT_SECONDS"))
    delay = 0.01
    while existing is not None and existing.status_code is None:
        if _lease_expired(existing, timezone.now()):
            return None
        if time.monotonic() >= deadline:
            break
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.2)
        existing = (IdempotencyKey.objects.filter(pk=existing.pk)
                    .only("pk", "fingerprint", "status_code", "response", "created_at").first())
    return existing


def idempotent(request: HttpRequest, *, scope: str, params: dict,
               run: Callable[[], tuple[int, dict]]) -> HttpResponse:
    """Run `run()` (returning status and JSON body) at most once per key; replay its answer after.

    A `DomainError` below 500 is the answer too: it is answered (and stored) here in the API's error
    shape rather than raised, so its replay is the same bytes.
    """
    key = (request.headers.get(HEADER) or "").strip()
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValidationFailed(f"Send an Idempotency-Key header (1-{KEY_MAX_LENGTH} characters) with this "
                               "request.",
                               code="idempotency_key_required", field=HEADER)
    user = request.user
    digest = fingerprint(scope, params)
    owned, existing = _claim(user, key, scope, digest)
    for _ in range(3):  # a twin that failed with 5xx, or died, frees its key: claim it again and run
        if existing is None or existing.fingerprint != digest or existing.status_code is not None:
            break
        existing = _await_answer(existing)
        if existing is None:
            owned, existing = _claim(user, key, scope, digest)
        elif existing.status_code is None:
            break
    if existing is not None:
        if existing.fingerprint != digest:
            raise ValidationFailed("This Idempotency-Key was already used with other parameters.",
                                   code="idempotency_key_reused", field=HEADER)
        if existing.status_code is None:
            raise Conflict("A request with this Idempotency-Key is still being processed.",
                           code="idempotency_request_in_flight")
        response = _replay(existing)
        response[REPLAYED_HEADER] = "true"
        return response
    # Only the row this request claimed is written: past its lease another request may own the key.
    mine = IdempotencyKey.objects.filter(pk=owned, status_code__isnull=True)
    try:
        status, body = run()
        response = JsonResponse(body, status=status, safe=False)
    except DomainError as exc:
        if exc.status >= 500:
            mine.delete()
            raise
        # Rendered here, in the API's error shape, so that the bytes stored are the bytes answered.
        response = JsonResponse(exc.as_dict(), status=exc.status)
    except BaseException:
        mine.delete()
        raise
    mine.update(status_code=response.status_code, response=_stored(response))
    return response


def _stored(response: HttpResponse) -> dict:
    """The answer as sent: its body as text (JSON is UTF-8), kept verbatim inside the JSON column,
    because PostgreSQL's jsonb would reorder the keys of a stored object."""
    return {"content_type": response["Content-Type"], "body": response.content.decode()}


def _replay(record: IdempotencyKey) -> HttpResponse:
    stored = record.response
    if isinstance(stored, dict) and set(stored) == {"content_type", "body"}:
        return HttpResponse(stored["body"].encode(), status=record.status_code,
                            content_type=stored["content_type"])
    # Kept before answers were stored verbatim: the object itself, answered with sorted keys.
    return JsonResponse(stored, status=record.status_code, safe=False, json_dumps_params={"sort_keys": True})


def purge_expired_keys(*, limit: int = 1000) -> int:
    """Sweep: forget keys past their retention."""
    ids = list(IdempotencyKey.objects.filter(expires_at__lt=timezone.now()).values_list("pk", flat=True)[:limit])
    return IdempotencyKey.objects.filter(pk__in=ids).delete()[0] if ids else 0
