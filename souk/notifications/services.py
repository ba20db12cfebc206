"""Notifications: `notify` (the outbox writer every app calls), read marks, webhook endpoints.

`notify` does no I/O: it writes an in-app `Notification` and an `EmailMessage`
per recipient and a `WebhookDelivery` per subscribed endpoint, in the caller's
transaction. If the caller rolls back, nothing is sent. After commit a task is
enqueued for the fast path; the `notifications_outbox` sweep delivers whatever
the task missed (souk/notifications/delivery.py).
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from souk.core.errors import ErrorCollector, Forbidden, NotFound
from souk.notifications.models import EmailMessage, Notification, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("souk.notifications")

TITLE_MAX = 200
KIND_MAX = 48


def _as_list(recipients: Any) -> list:
    if recipients is None:
        return []
    if isinstance(recipients, Iterable) and not isinstance(recipients, (str, bytes)):
        users = list(recipients)
    else:
        users = [recipients]
    seen: set[int] = set()
    unique = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        unique.append(user)
    return unique


def _order_url(order, user) -> str:
    try:
        if order.store.owner_id == user.pk:
            path = reverse("orders:seller_order_detail", kwargs={"number": order.number})
        else:
            path = reverse("orders:order_detail", kwargs={"number": order.number})
    except NoReverseMatch:  # pragma: no cover - the orders app always defines both
        return ""
    return settings.SOUK_BASE_URL.rstrip("/") + path


def _email_body(*, user, title: str, body: str, order) -> str:
    parts = [f"Hello {user.name},", "", title]
    if body:
        parts += ["", body]
    if order is not None:
        parts += ["", f"Order {order.display_number}: {_order_url(order, user)}"]
    parts += ["", "— Souk", "You receive this email because of activity on your Souk account."]
    return "\n".join(parts)


def _payload(*, event_id: uuid.UUID, kind: str, now, order, title: str, body: str, data: dict,
             recipients: list, actor) -> dict:
    return {
        "id": str(event_id),
        "kind": kind,
        "created_at": now.isoformat(),
        "title": title,
        "body": body,
        "order": None if order is None else {"number": order.number, "status": order.status,
                                             "store_id": order.store_id, "buyer_id": order.buyer_id},
        "recipients": [u.pk for u in recipients],
        "actor": None if actor is None else actor.pk,
        "data": data,
    }


@dataclass(frozen=True, slots=True)
class Note:
    """One notification for `notify_many`: the same arguments as `notify`."""

    kind: str
    recipients: Any
    title: str
    body: str = ""
    order: Any = None
    data: dict | None = None
    actor: Any = None


def notify(*, kind: str, recipients, order=None, title: str, body: str, data: dict | None = None,
           actor=None) -> None:
    """Tells `recipients` (a User or a list of Users) about an event, in the caller's transaction.

    Writes an in-app notification and an email per recipient (when they have an
    address) and a webhook delivery per active endpoint subscribed to `kind` or
    `*`; schedules delivery after commit. At most four statements.
    """
    notify_many([Note(kind=kind, recipients=recipients, order=order, title=title, body=body, data=data,
                      actor=actor)])


def notify_many(notes: list[Note], *, tasks: list | None = None) -> None:
    """`notify` for several events at once: at most four statements whatever their number (one
    INSERT per table, one look-up of the webhook endpoints).

    With `tasks` (a list), the delivery tasks are appended to it as `(task, args)` for the caller
    to write inside its own transaction (`souk.core.tasks.enqueue_together`, one INSERT
    with its other tasks); without, they are enqueued after commit, as `notify` does.
    """
    now = timezone.now()
    notifications: list[Notification] = []
    emails: list[EmailMessage] = []
    events: list[tuple[Note, list, dict, str, str]] = []
    for note in notes:
        if not note.kind or len(note.kind) > KIND_MAX:
            raise ValueError(f"kind must be 1..{KIND_MAX} characters")
        users = _as_list(note.recipients)
        data = dict(note.data or {})
        title = (note.title or "")[:TITLE_MAX]
        body = note.body or ""
        order = note.order
        for u in users:
            notifications.append(Notification(recipient_id=u.pk, kind=note.kind, title=title, body=body,
                                              order_id=None if order is None else order.pk, data=data,
                                              created_at=now))
            if u.email:
                emails.append(EmailMessage(recipient_id=u.pk, to=u.email, subject=title, kind=note.kind,
                                           created_at=now, next_attempt_at=now,
                                           body=_email_body(user=u, title=title, body=body, order=order)))
        events.append((note, users, data, title, body))
    if connection.vendor == "postgresql" and notifications:
        email_ids, endpoints = _write_pg(notifications, emails)
    else:
        if notifications:
            Notification.objects.bulk_create(notifications)
        if emails:
            EmailMessage.objects.bulk_create(emails)
        email_ids = [e.pk for e in emails if e.pk]
        endpoints = list(WebhookEndpoint.objects.filter(active=True))
    deliveries = []
    for note, users, data, title, body in events:
        wanted = [e for e in endpoints if e.wants(note.kind)]
        if not wanted:
            continue
        event_id = uuid.uuid4()
        payload = _payload(event_id=event_id, kind=note.kind, now=now, order=note.order, title=title, body=body,
                           data=data, recipients=users, actor=note.actor)
        deliveries += [WebhookDelivery(endpoint=e, event_id=event_id, kind=note.kind, payload=payload,
                                       created_at=now, next_attempt_at=now) for e in wanted]
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
    delivery_ids = [d.pk for d in deliveries if d.pk]
    if tasks is None:
        _deliver_after_commit(email_ids, delivery_ids)
        return
    from souk.notifications import tasks as delivery_tasks

    if email_ids:
        tasks.append((delivery_tasks.deliver_emails, (email_ids,)))
    if delivery_ids:
        tasks.append((delivery_tasks.deliver_webhooks, (delivery_ids,)))


def _write_pg(notifications: list[Notification], emails: list[EmailMessage]) -> tuple[list[int], list]:
    """PostgreSQL: the notifications, the emails and the look-up of active webhook endpoints in ONE
    statement (data-modifying CTEs). Returns the email ids and the endpoints (id, kinds only)."""
    q = connection.ops.quote_name
    params: list = []
    rows = []
    for n in notifications:
        rows.append("(%s, %s, %s, %s, %s, %s::jsonb, %s)")
        params += [n.recipient_id, n.kind, n.title, n.body, n.order_id, json.dumps(n.data), n.created_at]
    sql = (f"WITH n AS (INSERT INTO {q(Notification._meta.db_table)} "
           f"(recipient_id, kind, title, body, order_id, data, created_at) VALUES {', '.join(rows)})")
    if emails:
        rows = []
        for e in emails:
            rows.append("(%s, %s, %s, %s, %s, 'pending', 0, %s, '', %s)")
            params += [e.recipient_id, e.to, e.subject, e.body, e.kind, e.next_attempt_at, e.created_at]
        sql += (f", e AS (INSERT INTO {q(EmailMessage._meta.db_table)} (recipient_id, {q('to')}, subject, body, "
                f"kind, state, attempts, next_attempt_at, last_error, created_at) VALUES {', '.join(rows)} "
                f"RETURNING id) SELECT 0, id, NULL::jsonb FROM e UNION ALL ")
    else:
        sql += " "
    sql += f"SELECT 1, id, kinds FROM {q(WebhookEndpoint._meta.db_table)} WHERE active"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    email_ids = [row_id for tag, row_id, _ in found if tag == 0]
    endpoints = [WebhookEndpoint(pk=row_id, kinds=json.loads(kinds) if isinstance(kinds, str) else kinds, active=True)
                 for tag, row_id, kinds in found if tag == 1]
    return email_ids, endpoints


def _deliver_after_commit(email_ids: list[int], delivery_ids: list[int]) -> None:
    if not email_ids and not delivery_ids:
        return

    def enqueue() -> None:
        from souk.notifications import tasks

        try:
            if email_ids:
                tasks.deliver_emails.enqueue(email_ids)
            if delivery_ids:
                tasks.deliver_webhooks.enqueue(delivery_ids)
        except Exception:  # the sweep delivers them anyway
            logger.exception("could not enqueue notification delivery")

    transaction.on_commit(enqueue)


# --- in-app read state -----------------------------------------------------------------

@transaction.atomic
def notification_mark_read(*, user, notification_id: int) -> Notification:
    notification = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if notification is None:
        raise NotFound("No such notification.", code="notification_not_found")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user) -> int:
    """Marks every unread notification of `user` read; returns how many. One statement."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- webhook endpoints (staff) ------------------------------------------------------------

URL_MAX = 500


def _require_staff(user) -> None:
    if not getattr(user, "is_staff", False):
        # One rule for staff routes (docs/api.md, Conventions): 403 for anyone else.
        raise Forbidden("Only Souk staff can do this.", code="staff_only")


def _check_endpoint_input(url: str, kinds: list[str], description: str) -> tuple[str, list[str], str]:
    errors = ErrorCollector()
    if any("\x00" in (text or "") for text in [url, description, *(kinds or [])]):
        errors.add("url", "invalid_characters", "NUL characters are not allowed.")
        errors.raise_if_any()
    url = (url or "").strip()
    parts = urlsplit(url)
    if not url:
        errors.add("url", "required", "Give the URL that receives the events.")
    elif len(url) > URL_MAX:
        errors.add("url", "too_long", f"The URL must be at most {URL_MAX} characters.")
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        errors.add("url", "invalid_url", "Only http:// and https:// URLs with a host can receive webhooks.")
    clean_kinds: list[str] = []
    if not kinds:
        errors.add("kinds", "required", 'Choose the event kinds to send, or "*" for all.')
    else:
        for i, kind in enumerate(kinds):
            kind = (kind or "").strip()
            if not kind or len(kind) > KIND_MAX:
                errors.add(f"kinds[{i}]", "invalid_kind", f"An event kind is 1 to {KIND_MAX} characters.")
            elif kind not in clean_kinds:
                clean_kinds.append(kind)
    description = (description or "").strip()
    if len(description) > 200:
        errors.add("description", "too_long", "The description must be at most 200 characters.")
    errors.raise_if_any()
    return url, clean_kinds, description


@transaction.atomic
def webhook_endpoint_create(*, actor, url: str, kinds: list[str], description: str = "") -> WebhookEndpoint:
    """Registers a URL for signed events; the generated secret is returned on the object (show it once)."""
    _require_staff(actor)
    url, kinds, description = _check_endpoint_input(url, kinds, description)
    return WebhookEndpoint.objects.create(url=url, kinds=kinds, description=description, created_by=actor,
                                          secret="whsec_" + secrets.token_urlsafe(32))


@transaction.atomic
def webhook_endpoint_delete(*, actor, endpoint_id: int) -> None:
    """Deactivates the endpoint (its delivery log stays for staff); pending deliveries are not sent."""
    _require_staff(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.", code="webhook_not_found")
    endpoint.active = False
    endpoint.save(update_fields=["active"])
    WebhookDelivery.objects.filter(endpoint=endpoint, state=WebhookDelivery.State.PENDING).update(
        state=WebhookDelivery.State.FAILED, last_error="endpoint deleted")
