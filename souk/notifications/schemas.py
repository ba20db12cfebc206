"""API shapes for notifications and staff webhook endpoints."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from souk.notifications.models import Notification, WebhookDelivery, WebhookEndpoint


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str = Field(description="plain text: escape it when displaying")
    order_number: str | None
    data: dict
    read: bool
    read_at: datetime | None
    created_at: datetime


class NotificationPageOut(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class ReadAllOut(Schema):
    marked: int


class WebhookIn(Schema):
    url: str = Field(description="http:// or https:// URL that receives POSTed JSON events")
    kinds: list[str] = Field(description='event kinds to send, e.g. ["order_cancelled"], or ["*"] for all')
    description: str = ""


class WebhookOut(Schema):
    id: int
    url: str
    kinds: list[str]
    description: str
    active: bool
    secret_hint: str = Field(description="the secret's first characters, to recognise it")
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="signing secret: shown once, keep it safe (see docs/notifications.md)")


class DeliveryOut(Schema):
    id: int
    event_id: UUID
    kind: str
    state: str
    attempts: int
    next_attempt_at: datetime
    response_status: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPageOut(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


def notification_out(n: Notification) -> dict:
    return {"id": n.pk, "kind": n.kind, "title": n.title, "body": n.body,
            "order_number": n.order.number if n.order_id else None, "data": n.data, "read": n.read_at is not None,
            "read_at": n.read_at, "created_at": n.created_at}


def webhook_out(e: WebhookEndpoint, *, with_secret: bool = False) -> dict:
    out = {"id": e.pk, "url": e.url, "kinds": e.kinds, "description": e.description, "active": e.active,
           "secret_hint": e.secret[:10] + "…", "created_at": e.created_at}
    if with_secret:
        out["secret"] = e.secret
    return out


def delivery_out(d: WebhookDelivery) -> dict:
    return {f: getattr(d, f) for f in ("id", "event_id", "kind", "state", "attempts", "next_attempt_at",
                                       "response_status", "last_error", "delivered_at", "created_at")}
