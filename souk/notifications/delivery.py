"""The worker side of the outbox: send due emails and webhooks, with leases and backoff.

Each batch is claimed in one short transaction (`SELECT ... FOR UPDATE SKIP
LOCKED` on PostgreSQL, so several workers share the work): `attempts` goes up
and `next_attempt_at` moves one lease ahead. The I/O happens outside any
transaction; the result is then recorded only if the row is still ours (same
`attempts`, still pending). A worker killed mid-send leaves the row due again
when its lease ends, so it is sent once more — webhooks keep their event id, so
receivers drop the duplicate. Failures back off exponentially; after
`NOTIFY_MAX_ATTEMPTS` the row is `failed` and shows in the admin.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage as MailMessage
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from souk.notifications import signing
from souk.notifications.conf import setting
from souk.notifications.models import EmailMessage, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("souk.notifications")
ERROR_MAX = 1000


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: base, 2×base, 4×base... capped."""
    base = setting("NOTIFY_RETRY_BASE_SECONDS")
    cap = setting("NOTIFY_RETRY_MAX_SECONDS")
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claim(model, *, ids: list[int] | None, now: datetime, limit: int) -> list:
    lease_until = now + timedelta(seconds=setting("NOTIFY_LEASE_SECONDS"))
    with transaction.atomic():
        qs = model.objects.select_for_update(skip_locked=True).filter(state="pending", next_attempt_at__lte=now)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        rows = list(qs.order_by("next_attempt_at", "id")[:limit])
        if rows:
            model.objects.filter(pk__in=[r.pk for r in rows]).update(attempts=F("attempts") + 1,
                                                                     next_attempt_at=lease_until)
    for row in rows:
        row.attempts += 1
    return rows


def _still_ours(model, row):
    """The row as claimed: a later claim (after our lease ran out) has a higher `attempts`."""
    return model.objects.filter(pk=row.pk, state="pending", attempts=row.attempts)


def _record_failure(model, row, *, now: datetime, error: str, failed_state: str, **extra) -> None:
    error = error[:ERROR_MAX]
    if row.attempts >= setting("NOTIFY_MAX_ATTEMPTS"):
        updated = _still_ours(model, row).update(state=failed_state, last_error=error, **extra)
        if updated:
            logger.warning("%s %s failed for good after %d attempts: %s", model.__name__, row.pk, row.attempts,
                           error)
    else:
        _still_ours(model, row).update(next_attempt_at=now + backoff(row.attempts), last_error=error, **extra)


# --- email ------------------------------------------------------------------------------

def deliver_due_emails(*, ids: list[int] | None = None, now: datetime | None = None,
                       limit: int | None = None) -> int:
    """Sends one batch of due emails (only `ids`, when given); returns how many rows it finished."""
    now = now or timezone.now()
    rows = _claim(EmailMessage, ids=ids, now=now, limit=limit or setting("NOTIFY_BATCH"))
    if not rows:
        return 0
    finished = 0
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # server down: every row of the batch retries later
        for row in rows:
            _record_failure(EmailMessage, row, now=now, error=f"connect: {exc!r}",
                            failed_state=EmailMessage.State.FAILED)
        return len(rows)
    try:
        for row in rows:
            message = MailMessage(subject=row.subject, body=row.body, from_email=settings.DEFAULT_FROM_EMAIL,
                                  to=[row.to], connection=connection,
                                  headers={"X-Souk-Email-Id": str(row.pk), "X-Souk-Kind": row.kind})
            try:
                message.send(fail_silently=False)
            except Exception as exc:
                _record_failure(EmailMessage, row, now=now, error=repr(exc), failed_state=EmailMessage.State.FAILED)
            else:
                _still_ours(EmailMessage, row).update(state=EmailMessage.State.SENT, sent_at=timezone.now(),
                                                      last_error="")
            finished += 1
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken SMTP session must not lose the results above
            logger.exception("closing the email connection failed")
    return finished


# --- webhooks ------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction: record it as a failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def webhook_body(payload: dict) -> bytes:
    """The exact bytes POSTed (and signed): compact, key-sorted JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def post_webhook(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> int:
    """POSTs one delivery; returns the HTTP status. Raises OSError/URLError when nothing answered."""
    body = webhook_body(delivery.payload)
    timestamp = int(time.time())
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Souk-Webhooks/1",
        "Souk-Event-Id": str(delivery.event_id),
        "Souk-Event-Kind": delivery.kind,
        "Souk-Timestamp": str(timestamp),
        "Souk-Signature": signing.sign(endpoint.secret, timestamp, body),
    })
    try:
        with _OPENER.open(request, timeout=setting("WEBHOOK_TIMEOUT_SECONDS")) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def deliver_due_webhooks(*, ids: list[int] | None = None, now: datetime | None = None,
                         limit: int | None = None) -> int:
    """Sends one batch of due webhook deliveries; returns how many rows it finished."""
    now = now or timezone.now()
    rows = _claim(WebhookDelivery, ids=ids, now=now, limit=limit or setting("NOTIFY_BATCH"))
    if not rows:
        return 0
    endpoints = WebhookEndpoint.objects.in_bulk({r.endpoint_id for r in rows})
    unreachable: set[int] = set()
    for row in rows:
        endpoint = endpoints.get(row.endpoint_id)
        if endpoint is None or not endpoint.active:
            _still_ours(WebhookDelivery, row).update(state=WebhookDelivery.State.FAILED,
                                                     last_error="endpoint deleted")
            continue
        if row.endpoint_id in unreachable:
            # Do not wait out another timeout on an endpoint that just failed to answer:
            # hand the row back untried (the attempt is not counted) for the next round.
            _still_ours(WebhookDelivery, row).update(attempts=row.attempts - 1,
                                                     next_attempt_at=now + backoff(1))
            continue
        try:
            status = post_webhook(endpoint, row)
        except Exception as exc:  # refused, timed out, DNS...
            unreachable.add(row.endpoint_id)
            _record_failure(WebhookDelivery, row, now=now, error=repr(exc), failed_state=WebhookDelivery.State.FAILED,
                            response_status=None)
            continue
        if 200 <= status < 300:
            _still_ours(WebhookDelivery, row).update(state=WebhookDelivery.State.DELIVERED, response_status=status,
                                                     delivered_at=timezone.now(), last_error="")
        else:
            _record_failure(WebhookDelivery, row, now=now, error=f"HTTP {status}",
                            failed_state=WebhookDelivery.State.FAILED, response_status=status)
    return len(rows)


def deliver_due() -> int:
    """The sweep: one batch of due emails and one of due webhooks."""
    return deliver_due_emails() + deliver_due_webhooks()
