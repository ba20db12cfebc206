"""Notifications: `notify` (the outbox writer every app calls), read marks, webhook endpoints.

`notify` does no I/O: it writes an in-app `Notification` and an `EmailMessage`
per recipient and a `WebhookDelivery` per subscribed endpoint, in the caller's
transaction. If the caller rolls back, nothing is sent. After commit a task is
enqueued for the fast path; the `notifications_outbox` sweep delivers whatever
the task missed (souk/notifications/delivery.py).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from souk.core.errors import ErrorCollector, NotFound
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


def notify(*, kind: str, recipients, order=None, title: str, body: str, data: dict | None = None,
           actor=None) -> None:
    """Tells `recipients` (a User or a list of Users) about an event, in the caller's transaction.

    Writes an in-app notification and an email per recipient (when they have an
    address) and a webhook delivery per active endpoint subscribed to `kind` or
    `*`; schedules delivery after commit. At most four statements.
    """
    if not kind or len(kind) > KIND_MAX:
        raise ValueError(f"kind must be 1..{KIND_MAX} characters")
    users = _as_list(recipients)
    data = dict(data or {})
    title = (title or "")[:TITLE_MAX]
    body = body or ""
    now = timezone.now()
    event_id = uuid.uuid4()
    notifications = [
        Notification(recipient=u, kind=kind, title=title, body=body, order=order, data=data, created_at=now)
        for u in users
    ]
    Notification.objects.bulk_create(notifications)
    emails = [
        EmailMessage(recipient=u, to=u.email, subject=title, kind=kind, created_at=now, next_attempt_at=now,
                     body=_email_body(user=u, title=title, body=body, order=order))
        for u in users if u.email
    ]
    if emails:
        EmailMessage.objects.bulk_create(emails)
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if e.wants(kind)]
    deliveries = []
    if endpoints:
        payload = _payload(event_id=event_id, kind=kind, now=now, order=order, title=title, body=body,
                           data=data, recipients=users, actor=actor)
        deliveries = WebhookDelivery.objects.bulk_create([
            WebhookDelivery(endpoint=e, event_id=event_id, kind=kind, payload=payload, created_at=now,
                            next_attempt_at=now)
            for e in endpoints
        ])
    _deliver_after_commit([e.pk for e in emails if e.pk], [d.pk for d in deliveries if d.pk])


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
        # Staff-only objects look like nothing at all to everyone else.
        raise NotFound("Not found.", code="not_found")


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
